"""asyncio and uvloop TCP echo servers for the echo benchmark (the servers of
uvloop's vmbench): streams (a task per connection, read and write back) or a
protocol whose data_received writes the data back; TLS optional.

    /usr/bin/python3 echo_py.py [--uvloop] [--streams|--protocol]
                                [--tls CERT KEY] [--port PORT]

Prints "LISTENING <port>" once it accepts connections on 127.0.0.1.
"""
import argparse
import asyncio
import socket
import ssl


class EchoProtocol(asyncio.Protocol):
    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.transport = transport

    def data_received(self, data):
        self.transport.write(data)

    def connection_lost(self, exc):
        self.transport = None


async def echo_stream(reader, writer):
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            data = await reader.read(256 * 1024)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    writer.close()


async def main(args):
    ctx = None
    if args.tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls[0], args.tls[1])
    loop = asyncio.get_running_loop()
    if args.streams:
        server = await asyncio.start_server(echo_stream, "127.0.0.1", args.port, ssl=ctx)
    else:
        server = await loop.create_server(EchoProtocol, "127.0.0.1", args.port, ssl=ctx)
    print("LISTENING %d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--uvloop", action="store_true")
    kind = p.add_mutually_exclusive_group()
    kind.add_argument("--streams", action="store_true")
    kind.add_argument("--protocol", action="store_true")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--port", type=int, default=0)
    return p.parse_args()


if __name__ == "__main__":
    args = parse()
    if args.uvloop:
        import uvloop
        uvloop.install()
    try:
        asyncio.run(main(args))
    except KeyboardInterrupt:
        pass
