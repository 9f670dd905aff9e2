"""aiofiles on uvloop: the peer of weft-bench-fs.

    bench_fs.py write|read|lines PATH MIB

Same work as the C program: 64 KiB chunks for write and read, `async for
line in f` for lines (stopping after MIB MiB). Prints `RESULT <op> <MiB/s>`.
"""
import asyncio
import sys
import time

import aiofiles
import uvloop

CHUNK = 64 * 1024


async def write(path, mib):
    chunk = b"w" * CHUNK
    async with aiofiles.open(path, "wb") as f:
        for _ in range(mib * 16):
            await f.write(chunk)
    return mib * 1048576


async def read(path, mib):
    done = 0
    async with aiofiles.open(path, "rb") as f:
        while True:
            data = await f.read(CHUNK)
            if not data:
                return done
            done += len(data)


async def lines(path, mib):
    done, limit = 0, mib * 1048576
    async with aiofiles.open(path, "rb") as f:
        async for line in f:
            done += len(line)
            if done >= limit:
                break
    return done


def main():
    op, path, mib = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fn = {"write": write, "read": read, "lines": lines}[op]
    start = time.perf_counter()
    done = uvloop.run(fn(path, mib)) if hasattr(uvloop, "run") else None
    if done is None:
        uvloop.install()
        done = asyncio.run(fn(path, mib))
    print("RESULT %s %.1f MiB/s" % (op, done / 1048576 / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
