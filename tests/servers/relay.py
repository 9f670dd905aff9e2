"""Shared pieces of the test proxies (socks5.py, tls_proxy.py)."""
import argparse
import asyncio
import sys


def log(path, line):
    """Appends line to the file at path (nothing when path is None)."""
    if path:
        with open(path, "a") as f:
            f.write(line + "\n")


async def pipe(reader, writer):
    """Copies reader to writer until EOF or an error, then closes writer."""
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        try:
            writer.close()
        except (ConnectionError, OSError):
            pass


def arguments(tls):
    """The command line both proxies share (--tls required when tls)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--auth")
    ap.add_argument("--log")
    if tls:
        ap.add_argument("--tls", required=True)
    return ap.parse_args()


async def serve(args, handle, url_format, ssl_ctx=None):
    """Listens, prints url_format.format(host=, port=) as the first line of
    stdout, then serves handle(args, reader, writer) forever."""
    server = await asyncio.start_server(lambda r, w: handle(args, r, w), args.host, args.port,
                                        ssl=ssl_ctx)
    port = server.sockets[0].getsockname()[1]
    print(url_format.format(host=args.host, port=port), flush=True)
    sys.stdout.close()
    async with server:
        await server.serve_forever()
