#!/usr/bin/python3
"""An httpbin-style server for weft's HTTP client tests (aiohttp).

usage: httpbin.py [--host H] [--port N] [--tls CERTDIR]

Port 0 picks an ephemeral port. Once listening, the first line written to
stdout is the base URL ("http://127.0.0.1:PORT", or "https://localhost:PORT"
with --tls, which serves CERTDIR/server.pem and CERTDIR/server.key).

JSON bodies follow httpbin.org's shapes: "args", "headers" (title-cased
names, repeated headers joined with ","), "form", "files", "json", "data",
"method", "url", "origin"; a key repeated in the query or in a form is a
list. Routes beyond httpbin.org's, for the client's error paths:
  /cut            Content-Length: 1000, sends 100 bytes, closes
  /bad-chunk      chunked with a malformed chunk size, then closes
  /reset          sends headers, then closes with RST
  /conn-id        a per-TCP-connection serial as text (1, 2, ...)
  /slow-headers/N sleeps N s before the headers
  /upload-sha256  {"sha256": hex, "bytes": count} of the request body
  /expect         {"expect": Expect header or null, "bytes": count, ...}
  /set-ip-cookie  Set-Cookie: ipcookie=1; Path=/ (no Domain)
  /concurrency/hold?until=N&wait=S  held until N requests are held at once
                  or for S seconds (default 1, 1); {"args", "conn": serial}
  /concurrency    {"in_flight", "max_in_flight", "max_connections"}: held
                  requests now and at most, and the most connections open
                  while one was held; ?reset=1 zeroes the maxima after answering
  /encoding/gb2312, /encoding/windows-1251 (?nocharset=1 drops the charset)
  /zstd           as /gzip ({"zstd": true, ...}), Content-Encoding: zstd
"""
import argparse
import asyncio
import base64
import gzip
import hashlib
import json
import random
import socket
import ssl
import struct
import subprocess
import sys
import urllib.parse
import weakref
import zlib

from aiohttp import web

try:
    import brotli
except ImportError:  # /brotli answers 501 without the module
    brotli = None

GB2312_PAGE = "<html><body><p>你好，世界</p></body></html>\n"
CP1251_PAGE = "<html><body><p>Привет, мир</p></body></html>\n"
# Invalid at line 3: the second comma of "[1, 2,,".
INVALID_JSON = '{\n  "a": 1,\n  "b": [1, 2,, 3]\n}\n'
HTML_PAGE = (
    "<!DOCTYPE html>\n<html>\n<head>\n</head>\n<body>\n"
    "<h1>Herman Melville - Moby-Dick</h1>\n<div>\n<p>Availing himself of the mild, "
    "summer-cool weather that now reigned in these latitudes ...</p>\n</div>\n"
    "</body>\n</html>"
)
SLIDESHOW = {
    "slideshow": {
        "author": "Yours Truly",
        "date": "date of publication",
        "slides": [
            {"title": "Wake up to WonderWidgets!", "type": "all"},
            {
                "items": ["Why <em>WonderWidgets</em> are great", "Who <em>buys</em> WonderWidgets"],
                "title": "Overview",
                "type": "all",
            },
        ],
        "title": "Sample Slide Show",
    }
}

conn_serials = weakref.WeakKeyDictionary()
conn_next = [0]
# /concurrency: requests held in /concurrency/hold now and at most, and
# the most connections open at once while one was held.
load = {"in_flight": 0, "max_in_flight": 0, "max_connections": 0, "met": 0, "cond": None, "server": None}


def title(name):
    return "-".join(w[:1].upper() + w[1:].lower() for w in name.split("-"))


def multi(pairs):
    """httpbin's dict: a repeated key becomes a list."""
    out = {}
    for k, v in pairs:
        if k in out:
            if not isinstance(out[k], list):
                out[k] = [out[k]]
            out[k].append(v)
        else:
            out[k] = v
    return out


def headers_of(request):
    out = {}
    for k, v in request.headers.items():
        k = title(k)
        out[k] = out[k] + "," + v if k in out else v
    return out


def origin(request):
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return peer[0] if peer else ""


def base(request):
    return {
        "args": multi(request.query.items()),
        "headers": headers_of(request),
        "origin": origin(request),
        "url": str(request.url),
    }


def as_text(raw):
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return "data:application/octet-stream;base64," + base64.b64encode(raw).decode()


async def body_of(request):
    """data, form, files and json of a request, as httpbin reports them."""
    form, files, data = [], {}, ""
    if request.content_type == "multipart/form-data":
        post = await request.post()
        for k, v in post.items():
            if isinstance(v, web.FileField):
                files[k] = as_text(v.file.read())
            else:
                form.append((k, v if isinstance(v, str) else as_text(v)))
    else:
        raw = await request.read()
        if request.content_type == "application/x-www-form-urlencoded":
            form = urllib.parse.parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
        else:
            data = as_text(raw)
    try:
        parsed = json.loads(data) if data else None
    except ValueError:
        parsed = None
    return {"data": data, "files": files, "form": multi(form), "json": parsed}


def reply(obj, status=200, headers=None):
    text = json.dumps(obj, indent=2, ensure_ascii=False) + "\n"
    return web.Response(text=text, status=status, headers=headers, content_type="application/json")


async def get(request):
    return reply(base(request))


async def with_body(request):
    out = base(request)
    out.update(await body_of(request))
    return reply(out)


async def anything(request):
    out = base(request)
    out.update(await body_of(request))
    out["method"] = request.method
    return reply(out)


async def headers(request):
    return reply({"headers": headers_of(request)})


async def user_agent(request):
    return reply({"user-agent": request.headers.get("User-Agent")})


async def ip(request):
    return reply({"origin": origin(request)})


async def cookies(request):
    return reply({"cookies": dict(request.cookies)})


async def cookies_set(request):
    resp = web.HTTPFound("/cookies")
    for k, v in request.query.items():
        resp.set_cookie(k, v, path="/")
    if "name" in request.match_info:
        resp.set_cookie(request.match_info["name"], request.match_info["value"], path="/")
    raise resp


async def cookies_delete(request):
    resp = web.HTTPFound("/cookies")
    for k in request.query.keys():
        resp.del_cookie(k, path="/")
    raise resp


def count(request):
    try:
        n = int(request.match_info["n"])
    except ValueError:
        raise web.HTTPBadRequest(text="bad count\n")
    return n


async def redirect(request):
    n = count(request)
    if request.query.get("absolute", "").lower() == "true":
        return await absolute_redirect(request)
    raise web.HTTPFound("/get" if n <= 1 else "/relative-redirect/%d" % (n - 1))


async def relative_redirect(request):
    n = count(request)
    raise web.HTTPFound("/get" if n <= 1 else "/relative-redirect/%d" % (n - 1))


async def absolute_redirect(request):
    n = count(request)
    root = "%s://%s" % (request.scheme, request.host)
    raise web.HTTPFound(root + ("/get" if n <= 1 else "/absolute-redirect/%d" % (n - 1)))


async def redirect_to(request):
    url = request.query.get("url")
    if url is None:
        raise web.HTTPBadRequest(text="url is required\n")
    status = int(request.query.get("status_code", "302"))
    if not 300 <= status < 400:
        status = 302
    await request.read()
    return web.Response(status=status, headers={"Location": url})


async def status(request):
    codes = request.match_info["code"].split(",")
    try:
        code = int(random.choice(codes))
    except ValueError:
        raise web.HTTPBadRequest(text="invalid status code\n")
    await request.read()
    hdrs = {}
    if code == 401:
        hdrs["WWW-Authenticate"] = 'Basic realm="Fake Realm"'
    if 300 <= code < 400 and code != 304:
        hdrs["Location"] = "/redirect/1"
    return web.Response(status=code, headers=hdrs)


async def nap(request):
    """Sleep for the route's {n} seconds (60 at most)."""
    try:
        n = min(float(request.match_info["n"]), 60.0)
    except ValueError:
        raise web.HTTPBadRequest(text="bad delay\n")
    await asyncio.sleep(n)


async def delay(request):
    await nap(request)
    out = base(request)
    out.update(await body_of(request))
    return reply(out)


def encoded(request, coding, key):
    out = base(request)
    out[key] = True
    out["method"] = request.method
    raw = (json.dumps(out, indent=2) + "\n").encode()
    if coding == "gzip":
        body = gzip.compress(raw)
    elif coding == "deflate":
        body = zlib.compress(raw)
    else:
        body = brotli.compress(raw)
    return web.Response(
        body=body,
        headers={"Content-Encoding": coding, "Content-Type": "application/json"},
    )


async def gzip_route(request):
    return encoded(request, "gzip", "gzipped")


async def deflate_route(request):
    return encoded(request, "deflate", "deflated")


async def brotli_route(request):
    if brotli is None:
        raise web.HTTPNotImplemented(text="no brotli module\n")
    return encoded(request, "br", "brotli")


async def zstd_route(request):
    out = base(request)
    out["zstd"] = True
    out["method"] = request.method
    raw = (json.dumps(out, indent=2) + "\n").encode()
    proc = await asyncio.create_subprocess_exec(
        "/usr/bin/zstd", "-c", "-q",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )
    body, _ = await proc.communicate(raw)
    if proc.returncode != 0:
        raise web.HTTPInternalServerError(text="zstd failed\n")
    return web.Response(
        body=body,
        headers={"Content-Encoding": "zstd", "Content-Type": "application/json"},
    )


async def stream(request):
    n = min(count(request), 100)
    resp = web.StreamResponse(headers={"Content-Type": "application/json"})
    await resp.prepare(request)
    out = base(request)
    for i in range(n):
        out["id"] = i
        await resp.write((json.dumps(out) + "\n").encode())
    await resp.write_eof()
    return resp


async def bytes_route(request):
    n = min(count(request), 100 * 1024 * 1024)
    rng = random.Random(int(request.query["seed"])) if "seed" in request.query else random
    body = bytes(rng.getrandbits(8) for _ in range(n)) if n < 65536 else rng.randbytes(n)
    return web.Response(body=body, content_type="application/octet-stream")


async def drip(request):
    q = request.query
    duration = float(q.get("duration", "2"))
    numbytes = int(q.get("numbytes", "10"))
    code = int(q.get("code", "200"))
    await asyncio.sleep(float(q.get("delay", "0")))
    resp = web.StreamResponse(status=code)
    resp.content_type = "application/octet-stream"
    resp.content_length = numbytes
    await resp.prepare(request)
    chunk = max(1, int(q.get("chunk", "1")))
    steps = (numbytes + chunk - 1) // chunk
    pause = duration / steps if steps else 0
    for i in range(steps):
        await resp.write(b"*" * min(chunk, numbytes - i * chunk))
        await asyncio.sleep(pause)
    await resp.write_eof()
    return resp


async def basic_auth(request):
    user, passwd = request.match_info["user"], request.match_info["passwd"]
    auth = request.headers.get("Authorization", "")
    ok = False
    if auth.startswith("Basic "):
        try:
            ok = base64.b64decode(auth[6:]).decode("utf-8") == "%s:%s" % (user, passwd)
        except ValueError:
            ok = False
    if not ok:
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="Fake Realm"'})
    return reply({"authenticated": True, "user": user})


async def response_headers(request):
    hdrs = [(k, v) for k, v in request.query.items()]
    resp = reply(multi(hdrs))
    replaced = False
    for k, v in hdrs:
        if k.lower() == "content-type" and not replaced:
            resp.headers[k] = v  # replaces application/json, as httpbin.org does
            replaced = True
        else:
            resp.headers.add(k, v)
    return resp


async def encoding_page(request):
    charset = request.match_info["charset"]
    page = {"gb2312": GB2312_PAGE, "windows-1251": CP1251_PAGE}.get(charset)
    if page is None:
        raise web.HTTPNotFound()
    ctype = "text/html" if request.query.get("nocharset") else "text/html; charset=" + charset
    return web.Response(body=page.encode(charset), headers={"Content-Type": ctype})


async def json_route(request):
    return reply(SLIDESHOW)


async def json_invalid(request):
    return web.Response(text=INVALID_JSON, content_type="application/json")


async def html(request):
    return web.Response(text=HTML_PAGE, content_type="text/html")


async def raw_and_hang(request, raw, rst=False):
    """Write raw bytes on the connection, close it, and wait to be cancelled."""
    tr = request.transport
    tr.write(raw)
    if rst:
        sock = tr.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        tr.abort()
    else:
        tr.close()
    await asyncio.sleep(3600)
    return web.Response()


async def cut(request):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
    return await raw_and_hang(request, head + b"x" * 100)


async def bad_chunk(request):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
    return await raw_and_hang(request, head + b"5\r\nhello\r\nzz!\r\nbroken\r\n")


async def reset(request):
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n"
    return await raw_and_hang(request, head, rst=True)


def conn_serial(request):
    tr = request.transport
    if tr not in conn_serials:
        conn_next[0] += 1
        conn_serials[tr] = conn_next[0]
    return conn_serials[tr]


async def conn_id(request):
    return web.Response(text="%d" % conn_serial(request))


def load_seen():
    """Record the highest number of held requests and open connections."""
    load["max_in_flight"] = max(load["max_in_flight"], load["in_flight"])
    server = load["server"]
    if server is not None:
        load["max_connections"] = max(load["max_connections"], len(server.connections))


async def concurrency(request):
    out = {k: load[k] for k in ("in_flight", "max_in_flight", "max_connections")}
    if request.query.get("reset"):
        load.update(max_in_flight=0, max_connections=0)
    return reply(out)


async def concurrency_hold(request):
    """Held until `until` requests are held at once, or for `wait` seconds."""
    try:
        until = int(request.query.get("until", "1"))
        wait = min(float(request.query.get("wait", "1")), 10.0)
    except ValueError:
        raise web.HTTPBadRequest(text="bad until or wait\n")
    cond = load["cond"]
    async with cond:
        load["in_flight"] += 1
        load_seen()
        # Every request held when the count is reached goes, even once the
        # first of them has left.
        met = load["met"]
        if load["in_flight"] >= until:
            load["met"] += 1
            cond.notify_all()
        try:
            await asyncio.wait_for(cond.wait_for(lambda: load["met"] != met), wait)
        except asyncio.TimeoutError:
            pass
        load_seen()
        load["in_flight"] -= 1
    out = {"args": multi(request.query.items()), "conn": conn_serial(request)}
    return reply(out)


async def slow_headers(request):
    await nap(request)
    return web.Response(text="ok\n")


async def upload_sha256(request):
    h, n = hashlib.sha256(), 0
    while True:
        chunk = await request.content.read(65536)
        if not chunk:
            break
        h.update(chunk)
        n += len(chunk)
    return reply({"sha256": h.hexdigest(), "bytes": n})


async def expect(request):
    raw = await request.read()
    return reply(
        {
            "expect": request.headers.get("Expect"),
            "bytes": len(raw),
            "data": as_text(raw),
            "headers": headers_of(request),
        }
    )


async def set_ip_cookie(request):
    resp = reply({"set": "ipcookie"})
    resp.headers.add("Set-Cookie", "ipcookie=1; Path=/")
    return resp


ROUTES = (
    ("GET", "/get", get),
    ("POST", "/post", with_body),
    ("PUT", "/put", with_body),
    ("PATCH", "/patch", with_body),
    ("DELETE", "/delete", with_body),
    ("*", "/anything", anything),
    ("*", "/anything/{path:.*}", anything),
    ("GET", "/headers", headers),
    ("GET", "/user-agent", user_agent),
    ("GET", "/ip", ip),
    ("GET", "/cookies", cookies),
    ("GET", "/cookies/set", cookies_set),
    ("GET", "/cookies/set/{name}/{value}", cookies_set),
    ("GET", "/cookies/delete", cookies_delete),
    ("GET", "/redirect/{n}", redirect),
    ("GET", "/relative-redirect/{n}", relative_redirect),
    ("GET", "/absolute-redirect/{n}", absolute_redirect),
    ("*", "/redirect-to", redirect_to),
    ("*", "/status/{code}", status),
    ("*", "/delay/{n}", delay),
    ("GET", "/gzip", gzip_route),
    ("GET", "/deflate", deflate_route),
    ("GET", "/brotli", brotli_route),
    ("GET", "/zstd", zstd_route),
    ("GET", "/stream/{n}", stream),
    ("GET", "/bytes/{n}", bytes_route),
    ("GET", "/drip", drip),
    ("GET", "/basic-auth/{user}/{passwd}", basic_auth),
    ("*", "/response-headers", response_headers),
    ("GET", "/encoding/{charset}", encoding_page),
    ("GET", "/json", json_route),
    ("GET", "/json/invalid", json_invalid),
    ("GET", "/html", html),
    ("GET", "/cut", cut),
    ("GET", "/bad-chunk", bad_chunk),
    ("GET", "/reset", reset),
    ("GET", "/conn-id", conn_id),
    ("GET", "/slow-headers/{n}", slow_headers),
    ("*", "/upload-sha256", upload_sha256),
    ("*", "/expect", expect),
    ("GET", "/set-ip-cookie", set_ip_cookie),
    ("GET", "/concurrency", concurrency),
    ("GET", "/concurrency/hold", concurrency_hold),
)


def routes(app):
    """GET routes answer HEAD too (aiohttp's add_get)."""
    for method, path, handler in ROUTES:
        if method == "GET":
            app.router.add_get(path, handler)
        else:
            app.router.add_route(method, path, handler)


async def serve(args):
    app = web.Application(client_max_size=1 << 30)
    routes(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    load.update(cond=asyncio.Condition(), server=runner.server)
    ctx = None
    if args.tls:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls + "/server.pem", args.tls + "/server.key")
    site = web.TCPSite(runner, args.host, args.port, ssl_context=ctx, backlog=1024)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    host = "localhost" if ctx else args.host
    sys.stdout.write("%s://%s:%d\n" % ("https" if ctx else "http", host, port))
    sys.stdout.flush()
    await asyncio.Event().wait()


def main():
    ap = argparse.ArgumentParser(description="httpbin-style server on aiohttp")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls", metavar="CERTDIR")
    try:
        asyncio.run(serve(ap.parse_args()))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
