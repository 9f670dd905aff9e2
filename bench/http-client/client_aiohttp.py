"""aiohttp's client for the HTTP client benchmark (bench/http-client/run).

    /usr/bin/python3 client_aiohttp.py [--uvloop] URL CONC DURATION WARMUP SIZE

One ClientSession (TCPConnector(limit=CONC), keep-alive) and CONC tasks,
each looping `async with session.get(URL) as r: await r.read()`, first for
WARMUP seconds (not counted), then DURATION seconds measured. Prints START
when the measured period begins, then

    RESULT reqs=<req/s> cpu_ms=<ms/1000 req> user_ms=<..> n=<requests>
           errors=<n> secs=<measured seconds>

(CPU time from getrusage over the measured period).
"""
import asyncio
import resource
import sys
import time

import aiohttp


class Phase:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds
        self.done = 0
        self.errors = 0


FIRST_ERROR = []


async def worker(session, url, size, ph):
    while time.monotonic() < ph.end:
        try:
            async with session.get(url) as r:
                body = await r.read()
                if r.status != 200 or len(body) != size:
                    raise ValueError("status %d, %d bytes" % (r.status, len(body)))
        except Exception as e:  # counted, the first one printed
            ph.errors += 1
            if not FIRST_ERROR:
                FIRST_ERROR.append(e)
                print("client_aiohttp: %r" % e, file=sys.stderr)
        ph.done += 1


async def run_phase(session, url, conc, size, seconds):
    ph = Phase(seconds)
    await asyncio.gather(*(worker(session, url, size, ph) for _ in range(conc)))
    return ph


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_utime


async def main(url, conc, duration, warmup, size):
    conn = aiohttp.TCPConnector(limit=conc)
    async with aiohttp.ClientSession(connector=conn) as session:
        warm = await run_phase(session, url, conc, size, warmup)
        print("START", flush=True)
        c0, u0 = cpu()
        t0 = time.monotonic()
        ph = await run_phase(session, url, conc, size, duration)
        secs = time.monotonic() - t0
        c1, u1 = cpu()
    per = 1000.0 / ph.done if ph.done else 0
    print("RESULT reqs=%.1f cpu_ms=%.3f user_ms=%.3f n=%d errors=%d secs=%.3f"
          % (ph.done / secs, (c1 - c0) * 1e3 * per, (u1 - u0) * 1e3 * per, ph.done,
             ph.errors + warm.errors, secs), flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--uvloop":
        import uvloop
        uvloop.install()
        args = args[1:]
    if len(args) != 5:
        sys.exit("usage: client_aiohttp.py [--uvloop] URL CONC DURATION WARMUP SIZE")
    asyncio.run(main(args[0], int(args[1]), float(args[2]), float(args[3]), int(args[4])))
