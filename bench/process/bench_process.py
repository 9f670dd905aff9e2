"""Python peers of weft-bench-process.

    /usr/bin/python3 bench_process.py multiprocessing|executor map-small N
    /usr/bin/python3 bench_process.py multiprocessing primes P LIMIT
"""
import asyncio
import concurrent.futures
import multiprocessing
import os
import sys
import time

RANGES = 64


def echo(x):
    return x


def count_primes(r):
    lo, hi = r
    n = 0
    for x in range(max(lo, 2), hi):
        d = 2
        prime = True
        while d * d <= x:
            if x % d == 0:
                prime = False
                break
            d += 1
        n += prime
    return n


def ready_init(barrier):
    global READY
    READY = barrier


def ready(_):
    READY.wait()
    return 0


def map_small_mp(n):
    items = list(range(n))
    procs = os.cpu_count()
    barrier = multiprocessing.Barrier(procs)
    with multiprocessing.Pool(procs, ready_init, (barrier,)) as pool:
        # as weft_pool_new: time the map on workers that are all up
        pool.map(ready, range(procs), chunksize=1)
        t0 = time.perf_counter()
        out = pool.map(echo, items)
        s = time.perf_counter() - t0
    assert out == items
    return n / s


async def map_small_executor(n):
    loop = asyncio.get_running_loop()
    with concurrent.futures.ProcessPoolExecutor() as ex:
        await loop.run_in_executor(ex, echo, 0)
        t0 = time.perf_counter()
        out = await asyncio.gather(*(loop.run_in_executor(ex, echo, i) for i in range(n)))
        s = time.perf_counter() - t0
    assert out == list(range(n))
    return n / s


def primes(p, limit):
    ranges = [(limit // RANGES * i, limit // RANGES * (i + 1)) for i in range(RANGES)]
    with multiprocessing.Pool(p) as pool:
        t0 = time.perf_counter()
        total = sum(pool.map(count_primes, ranges, chunksize=1))
        s = time.perf_counter() - t0
    return s, total


def main():
    impl, mode = sys.argv[1], sys.argv[2]
    if mode == "map-small":
        n = int(sys.argv[3])
        rate = map_small_mp(n) if impl == "multiprocessing" else asyncio.run(map_small_executor(n))
        print(f"RESULT map-small {rate:.0f} items/s")
    else:
        p, limit = int(sys.argv[3]), int(sys.argv[4])
        s, total = primes(p, limit)
        print(f"RESULT primes-{p} {s:.3f} s ({total} primes)")


if __name__ == "__main__":
    main()
