"""aiodns side of the DNS benchmark: N A queries at a fixed concurrency.

    bench_dns.py asyncio|uvloop SERVER PORT N CONCURRENCY

Prints `RESULT <queries/s> queries/s <us> us/query`: the second figure is
this process's CPU time (user + system) per query over the timed queries,
start-up and imports left out.
"""
import asyncio
import resource
import sys
import time

import aiodns


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


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

    cpu0 = cpu()
    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(conc)))
    elapsed = time.perf_counter() - t0
    used = cpu() - cpu0
    print("RESULT %.0f queries/s %.2f us/query" % (n / elapsed, used * 1e6 / n), flush=True)
    if failed[0]:
        sys.exit("%d queries failed" % failed[0])


if __name__ == "__main__":
    impl, server, port, n, conc = sys.argv[1:6]
    if impl == "uvloop":
        import uvloop
        uvloop.install()
    asyncio.run(main(server, int(port), int(n), int(conc)))
