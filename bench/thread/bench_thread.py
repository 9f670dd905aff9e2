"""asyncio / uvloop peers of weft-bench-thread.

    /usr/bin/python3 bench_thread.py asyncio|uvloop executor-seq|executor-par|threadsafe N
"""
import asyncio
import sys
import threading
import time

PAR = 64


def noop_job(x=None):
    return x


async def executor_seq(n):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, noop_job)
    t0 = time.perf_counter()
    for _ in range(n):
        await loop.run_in_executor(None, noop_job)
    return "executor-seq", (time.perf_counter() - t0) * 1e6 / n, "us/job"


async def executor_par(n):
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, noop_job)
    per = n // PAR

    async def worker():
        for _ in range(per):
            await loop.run_in_executor(None, noop_job)

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(PAR)))
    return "executor-par", per * PAR / (time.perf_counter() - t0), "jobs/s"


async def threadsafe(n):
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    seen = [0]

    def cb():
        seen[0] += 1
        if seen[0] == n:
            done.set_result(None)

    def poster():
        call = loop.call_soon_threadsafe
        for _ in range(n):
            call(cb)

    t0 = time.perf_counter()
    th = threading.Thread(target=poster)
    th.start()
    await done
    rate = n / (time.perf_counter() - t0)
    th.join()
    return "threadsafe", rate, "calls/s"


def main():
    impl, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if impl == "uvloop":
        import uvloop
        uvloop.install()
    fn = {"executor-seq": executor_seq, "executor-par": executor_par,
          "threadsafe": threadsafe}[mode]
    name, value, unit = asyncio.run(fn(n))
    print(f"RESULT {name} {value:.2f} {unit}")


if __name__ == "__main__":
    main()
