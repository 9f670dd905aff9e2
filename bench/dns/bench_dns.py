"""aiodns side of the DNS benchmark: N A queries at a fixed concurrency.

    bench_dns.py asyncio|uvloop SERVER PORT N CONCURRENCY

Prints `RESULT <queries/s> queries/s`.
"""
import asyncio
import sys
import time

import aiodns


async def main(server, port, n, conc):
    resolver = aiodns.DNSResolver(nameservers=[server], udp_port=port, timeout=2, tries=3)
    left = [n]
    failed = [0]

    async def worker():
        while left[0] > 0:
            left[0] -= 1
            try:
                await resolver.query("a.test", "A")
            except aiodns.error.DNSError:
                failed[0] += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    elapsed = time.perf_counter() - t0
    print("RESULT %.0f queries/s" % (n / elapsed), flush=True)
    if failed[0]:
        sys.exit("%d queries failed" % failed[0])


if __name__ == "__main__":
    impl, server, port, n, conc = sys.argv[1:6]
    if impl == "uvloop":
        import uvloop
        uvloop.install()
    asyncio.run(main(server, int(port), int(n), int(conc)))
