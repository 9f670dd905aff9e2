"""asyncio's (and uvloop's) side of the coordination benchmarks, same
figures and output as weft-bench-sync:

    /usr/bin/python3 bench_py.py [--uvloop] lock N
    /usr/bin/python3 bench_py.py [--uvloop] queue N MAXSIZE W
        (MAXSIZE 0: unbounded; W 1: after one untimed round, the same queue)
"""
import asyncio
import sys
import time


async def bench_lock(n, _maxsize, _warm):
    lock = asyncio.Lock()

    async def locker():
        sleep = asyncio.sleep
        for _ in range(n):
            async with lock:
                await sleep(0)  # the other task queues on the lock

    t0 = time.perf_counter_ns()
    await asyncio.gather(locker(), locker())
    t1 = time.perf_counter_ns()
    return "lock-handoff", (t1 - t0) / (2 * n), "ns/handoff"


async def queue_round(q, n):
    async def producer():
        put = q.put
        for i in range(1, n + 1):
            await put(i)

    async def consumer():
        get = q.get
        for i in range(1, n + 1):
            if await get() != i:
                raise SystemExit("items out of order")

    t0 = time.perf_counter_ns()
    await asyncio.gather(producer(), consumer())
    return time.perf_counter_ns() - t0


async def bench_queue(n, maxsize, warm):
    q = asyncio.Queue(maxsize)
    if warm:
        await queue_round(q, n)  # steady state, as in every implementation
    return "queue", await queue_round(q, n) / n, "ns/item"


BENCHES = {"lock": bench_lock, "queue": bench_queue}


def main(argv):
    use_uvloop = "--uvloop" in argv
    args = [a for a in argv if a != "--uvloop"]
    if len(args) < 2 or args[0] not in BENCHES:
        sys.exit("usage: bench_py.py [--uvloop] lock N | queue N MAXSIZE W")
    n = int(args[1])
    maxsize = int(args[2]) if len(args) > 2 else 0
    warm = int(args[3]) if len(args) > 3 else 0
    if use_uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    name, value, unit = asyncio.run(BENCHES[args[0]](n, maxsize, warm))
    print("RESULT %s %.2f %s" % (name, value, unit))


if __name__ == "__main__":
    main(sys.argv[1:])
