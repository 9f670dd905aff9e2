"""pycurl's client for the HTTP client benchmark (bench/http-client/run).

    /usr/bin/python3 client_pycurl.py URL CONC DURATION WARMUP SIZE

libcurl's multi interface from Python (the usual pycurl CurlMulti loop):
CONC easy handles, each re-added as soon as its transfer is done, so CONC
requests are always in flight over the multi handle's connection cache
(keep-alive, MAXCONNECTS >= CONC). Each body is collected in full in
memory. WARMUP seconds first (not counted), then DURATION seconds
measured. Prints START when the measured period begins, then

    RESULT reqs=<req/s> cpu_ms=<ms/1000 req> user_ms=<..> n=<requests>
           errors=<n> secs=<measured seconds>
"""
import resource
import sys
import time

import pycurl


class Transfer:
    def __init__(self, url):
        self.chunks = []
        self.easy = pycurl.Curl()
        self.easy.setopt(pycurl.URL, url)
        self.easy.setopt(pycurl.WRITEFUNCTION, self.chunks.append)
        self.easy.setopt(pycurl.NOSIGNAL, 1)
        self.easy.transfer = self


class Phase:
    def __init__(self, seconds):
        self.end = time.monotonic() + seconds
        self.done = 0
        self.errors = 0


FIRST_ERROR = []


def note_error(msg):
    if not FIRST_ERROR:
        FIRST_ERROR.append(msg)
        print("client_pycurl: %s" % msg, file=sys.stderr)


def finish(multi, easy, ok, errmsg, size, ph):
    """A transfer ended: count it, check it, start the next one on the same
    handle unless the phase is over. Returns 1 if it was re-added."""
    t = easy.transfer
    body = b"".join(t.chunks)
    t.chunks.clear()
    status = easy.getinfo(pycurl.RESPONSE_CODE)
    multi.remove_handle(easy)
    ph.done += 1
    if not ok or status != 200 or len(body) != size:
        ph.errors += 1
        note_error(errmsg if not ok else "status %d, %d bytes" % (status, len(body)))
    if time.monotonic() < ph.end:
        multi.add_handle(easy)
        return 1
    return 0


def run_phase(multi, transfers, size, seconds):
    ph = Phase(seconds)
    for t in transfers:
        multi.add_handle(t.easy)
    active = len(transfers)
    while active:
        ret, _ = multi.perform()
        while ret == pycurl.E_CALL_MULTI_PERFORM:
            ret, _ = multi.perform()
        while True:
            queued, ok_list, err_list = multi.info_read()
            for easy in ok_list:
                active += finish(multi, easy, True, None, size, ph) - 1
            for easy, code, msg in err_list:
                active += finish(multi, easy, False, "%d %s" % (code, msg), size, ph) - 1
            if not queued:
                break
        if active:
            multi.select(1.0)
    return ph


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime, ru.ru_utime


def main(url, conc, duration, warmup, size):
    multi = pycurl.CurlMulti()
    multi.setopt(pycurl.M_MAXCONNECTS, max(conc, 5))
    transfers = [Transfer(url) for _ in range(conc)]
    warm = run_phase(multi, transfers, size, warmup)
    print("START", flush=True)
    c0, u0 = cpu()
    t0 = time.monotonic()
    ph = run_phase(multi, transfers, size, duration)
    secs = time.monotonic() - t0
    c1, u1 = cpu()
    per = 1000.0 / ph.done if ph.done else 0
    print("RESULT reqs=%.1f cpu_ms=%.3f user_ms=%.3f n=%d errors=%d secs=%.3f"
          % (ph.done / secs, (c1 - c0) * 1e3 * per, (u1 - u0) * 1e3 * per, ph.done,
             ph.errors + warm.errors, secs), flush=True)
    for t in transfers:
        t.easy.close()
    multi.close()


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit("usage: client_pycurl.py URL CONC DURATION WARMUP SIZE")
    a = sys.argv[1:]
    main(a[0], int(a[1]), float(a[2]), float(a[3]), int(a[4]))
