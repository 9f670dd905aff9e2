"""asyncio's (and uvloop's) UDP echo server for bench/udp, a
DatagramProtocol as in asyncio's documentation:

    /usr/bin/python3 echo_py.py [--uvloop]

Binds 127.0.0.1 on an ephemeral port, prints it, echoes every datagram.
"""
import asyncio
import sys


class Echo(asyncio.DatagramProtocol):
    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.transport.sendto(data, addr)


async def main():
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(Echo, local_addr=("127.0.0.1", 0))
    print(transport.get_extra_info("sockname")[1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    if "--uvloop" in sys.argv:
        import uvloop
        uvloop.install()
    asyncio.run(main())
