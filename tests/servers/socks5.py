#!/usr/bin/python3
"""A SOCKS5 proxy for weft's HTTP client tests (asyncio).

usage: socks5.py [--host H] [--port N] [--auth USER:PASS] [--log FILE]

RFC 1928 CONNECT with IPv4, IPv6 and domain-name addresses; with --auth the
only method offered is RFC 1929 username/password, and wrong credentials
are answered with status 1 and a close. Port 0 picks an ephemeral port.
Once listening, the first line written to stdout is the proxy's URL
("socks5://127.0.0.1:PORT"). Each CONNECT is appended to the log file as
"CONNECT host:port user" ("-" without auth), and each refused
authentication as "AUTH-FAILED user".
"""
import asyncio
import ipaddress
import struct

from relay import arguments, log, pipe, serve

VERSION = 5
NO_AUTH = 0
USER_PASS = 2
NO_METHOD = 0xFF


async def authenticate(args, reader, writer):
    """Method selection, then RFC 1929; returns the user name or None."""
    ver, n = struct.unpack("!BB", await reader.readexactly(2))
    methods = await reader.readexactly(n)
    want = USER_PASS if args.auth else NO_AUTH
    if ver != VERSION or want not in methods:
        writer.write(bytes([VERSION, NO_METHOD]))
        return None
    writer.write(bytes([VERSION, want]))
    if not args.auth:
        return "-"
    ver, ulen = struct.unpack("!BB", await reader.readexactly(2))
    user = (await reader.readexactly(ulen)).decode("utf-8", "replace")
    plen = (await reader.readexactly(1))[0]
    password = (await reader.readexactly(plen)).decode("utf-8", "replace")
    if ver != 1 or f"{user}:{password}" != args.auth:
        log(args.log, f"AUTH-FAILED {user}")
        writer.write(bytes([1, 1]))
        return None
    writer.write(bytes([1, 0]))
    return user


async def read_address(reader):
    atyp = (await reader.readexactly(1))[0]
    if atyp == 1:
        host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
    elif atyp == 4:
        host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
    elif atyp == 3:
        n = (await reader.readexactly(1))[0]
        host = (await reader.readexactly(n)).decode("idna")
    else:
        return None, None
    port = struct.unpack("!H", await reader.readexactly(2))[0]
    return host, port


def reply(writer, code):
    writer.write(bytes([VERSION, code, 0, 1, 0, 0, 0, 0, 0, 0]))


async def handle(args, reader, writer):
    try:
        user = await authenticate(args, reader, writer)
        if user is None:
            await writer.drain()
            writer.close()
            return
        ver, cmd, _ = struct.unpack("!BBB", await reader.readexactly(3))
        host, port = await read_address(reader)
        if ver != VERSION or cmd != 1 or host is None:
            reply(writer, 7)  # command not supported
            await writer.drain()
            writer.close()
            return
        log(args.log, f"CONNECT {host}:{port} {user}")
        try:
            up_reader, up_writer = await asyncio.open_connection(host, port)
        except OSError:
            reply(writer, 5)  # connection refused
            await writer.drain()
            writer.close()
            return
        reply(writer, 0)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        writer.close()


async def main():
    await serve(arguments(tls=False), handle, "socks5://{host}:{port}")


if __name__ == "__main__":
    asyncio.run(main())
