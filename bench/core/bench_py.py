"""asyncio's (and uvloop's) side of the core benchmarks, same figures and
output as weft-bench-core:

    /usr/bin/python3 bench_py.py [--uvloop] yield|spawn|timer-cancel|timer-fire|park N [batch]
"""
import asyncio
import gc
import sys
import time


def vm_rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def spread_delay(i):
    # Deadlines spread over 1 ms, as in the weft and Go versions.
    return 0.001 + (i % 1000) * 1e-6


async def bench_yield(n, _batch):
    async def yielder():
        sleep = asyncio.sleep
        for _ in range(n):
            await sleep(0)

    t0 = time.perf_counter_ns()
    await asyncio.gather(yielder(), yielder())
    t1 = time.perf_counter_ns()
    return "yield", (t1 - t0) / (2 * n), "ns/switch"


async def spawn_batches(n, batch):
    async def nothing():
        return None

    create_task = asyncio.get_running_loop().create_task
    done = 0
    while done < n:
        k = min(batch, n - done)
        await asyncio.gather(*[create_task(nothing()) for _ in range(k)])
        done += k


async def bench_spawn(n, batch):
    await spawn_batches(batch, batch)  # untimed warm-up: steady state
    t0 = time.perf_counter_ns()
    await spawn_batches(n, batch)
    t1 = time.perf_counter_ns()
    return "spawn", (t1 - t0) / n, "ns/task"


def never():
    raise SystemExit("a cancelled timer fired")


async def bench_timer_cancel(n, _batch):
    loop = asyncio.get_running_loop()
    call_later = loop.call_later
    t0 = time.perf_counter_ns()
    for i in range(n):
        call_later(10.0 + spread_delay(i), never).cancel()
    t1 = time.perf_counter_ns()
    return "timer-cancel", (t1 - t0) / n, "ns/timer"


async def timer_fire_round(n):
    loop = asyncio.get_running_loop()
    all_fired = loop.create_future()
    count = [0]

    def fired():
        count[0] += 1
        if count[0] == n:
            all_fired.set_result(None)

    call_later = loop.call_later
    t0 = time.perf_counter_ns()
    for i in range(n):
        call_later(spread_delay(i), fired)
    await all_fired
    return time.perf_counter_ns() - t0


async def bench_timer_fire(n, _batch):
    # One untimed round first, as in every implementation (steady state).
    await timer_fire_round(n)
    return "timer-fire", await timer_fire_round(n) / n, "ns/timer"


async def bench_park(n, _batch):
    loop = asyncio.get_running_loop()
    ev = asyncio.Event()
    tasks = [None] * n  # allocated before the baseline
    gc.collect()
    before = vm_rss_kib()
    for i in range(n):
        tasks[i] = loop.create_task(ev.wait())
    await asyncio.sleep(0)  # every task runs and parks
    after = vm_rss_kib()
    ev.set()
    await asyncio.gather(*tasks)
    return "park", (after - before) * 1024 / n, "bytes/task"


BENCHES = {
    "yield": bench_yield,
    "spawn": bench_spawn,
    "timer-cancel": bench_timer_cancel,
    "timer-fire": bench_timer_fire,
    "park": bench_park,
}


def main(argv):
    use_uvloop = "--uvloop" in argv
    args = [a for a in argv if a != "--uvloop"]
    if len(args) < 2 or args[0] not in BENCHES:
        sys.exit("usage: bench_py.py [--uvloop] %s N [batch]" % "|".join(BENCHES))
    n = int(args[1])
    batch = int(args[2]) if len(args) > 2 else 1000
    if use_uvloop:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    name, value, unit = asyncio.run(BENCHES[args[0]](n, batch))
    print("RESULT %s %.2f %s" % (name, value, unit))


if __name__ == "__main__":
    main(sys.argv[1:])
