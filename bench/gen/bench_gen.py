"""Python's side of bench/gen: a generator send round trip.

    python3 bench_gen.py [rounds]    prints BENCH gen_send python <ns> ns/op
"""
import sys
import time


def plus_one():
    x = yield
    while True:
        x = yield x + 1


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
    g = plus_one()
    next(g)
    send = g.send
    v = None
    t0 = time.perf_counter_ns()
    for i in range(n):
        v = send(i)
    t1 = time.perf_counter_ns()
    assert v == n
    print("BENCH gen_send python %.2f ns/op" % ((t1 - t0) / n))


if __name__ == "__main__":
    main()
