#!/usr/bin/python3
"""An HTTPS proxy for weft's HTTP client tests (asyncio): the client speaks
TLS to the proxy, then either CONNECT (a tunnel: TLS inside TLS for an
https origin) or an absolute-form request ("GET http://host/path"), which
is forwarded to the origin with "Via: 1.1 tls-proxy" and
"Connection: close".

usage: tls_proxy.py --tls CERTDIR [--host H] [--port N] [--auth USER:PASS]
                    [--log FILE]

Serves CERTDIR/server.pem and CERTDIR/server.key. With --auth, a request
without the right Basic Proxy-Authorization is answered 407. Port 0 picks
an ephemeral port. Once listening, the first line written to stdout is the
proxy's URL ("https://localhost:PORT"). Each request line (CONNECT or
forwarded) is appended to the log file.
"""
import asyncio
import base64
import ssl
import urllib.parse

from relay import arguments, log, pipe, serve


async def respond(writer, status, extra=""):
    writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\n{extra}Connection: close\r\n\r\n".encode())
    await writer.drain()
    writer.close()


def authorized(args, headers):
    if not args.auth:
        return True
    want = "Basic " + base64.b64encode(args.auth.encode()).decode()
    return any(n.lower() == "proxy-authorization" and v == want for n, v in headers)


def split_head(head):
    lines = head.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if ":" in line:
            n, v = line.split(":", 1)
            headers.append((n.strip(), v.strip()))
    return lines[0], headers


async def tunnel(target, reader, writer):
    host, _, port = target.rpartition(":")
    try:
        up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
    except (OSError, ValueError):
        await respond(writer, "502 Bad Gateway")
        return
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def forward(method, url, version, headers, reader, writer):
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http" or not u.hostname:
        await respond(writer, "400 Bad Request")
        return
    try:
        up_reader, up_writer = await asyncio.open_connection(u.hostname, u.port or 80)
    except OSError:
        await respond(writer, "502 Bad Gateway")
        return
    path = urllib.parse.urlunsplit(("", "", u.path or "/", u.query, ""))
    drop = ("proxy-authorization", "proxy-connection", "connection", "keep-alive")
    out = [f"{method} {path} {version}"]
    out += [f"{n}: {v}" for n, v in headers if n.lower() not in drop]
    out += ["Via: 1.1 tls-proxy", "Connection: close", "", ""]
    up_writer.write("\r\n".join(out).encode("latin-1"))
    await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def handle(args, reader, writer):
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, headers = split_head(head)
        method, target, version = request_line.split(" ", 2)
        log(args.log, f"{method} {target}")
        if not authorized(args, headers):
            await respond(writer, "407 Proxy Authentication Required",
                          'Proxy-Authenticate: Basic realm="tls-proxy"\r\n')
        elif method == "CONNECT":
            await tunnel(target, reader, writer)
        else:
            await forward(method, target, version, headers, reader, writer)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError,
            ConnectionError, OSError, ssl.SSLError):
        writer.close()


async def main():
    args = arguments(tls=True)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(f"{args.tls}/server.pem", f"{args.tls}/server.key")
    await serve(args, handle, "https://localhost:{port}", ctx)


if __name__ == "__main__":
    asyncio.run(main())
