/* libcurl's multi interface driven from plain C: the reference for what
 * any client built on libcurl can reach in the HTTP client benchmark
 * (bench/http-client/run), as raw libuv is for the echo servers.
 *
 *   bench-http-client-curl URL CONC DURATION WARMUP SIZE
 *
 * One multi handle (MAXCONNECTS >= CONC) with CONC easy handles, each
 * re-added as soon as its transfer is done, without being reset: only the
 * options set once at the start. curl_multi_socket_action is driven by one
 * epoll descriptor and curl's timer; no event library, no tasks, no
 * per-request objects. Each body is collected in a buffer of its transfer
 * and checked. Output as the other clients:
 *
 *   START
 *   RESULT reqs=<req/s> cpu_ms=<ms/1000 req> user_ms=<..> n=<requests>
 *          errors=<n> secs=<measured seconds>
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>

typedef struct transfer {
  CURL *easy;
  char *body;
  size_t len, cap;
} transfer;

static struct {
  CURLM *multi;
  int epfd;
  double deadline; /* of curl's timer, now() clock; 0: none */
  size_t size;
  long done, errors;
  double end;
  int reported;
} g;

static double now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t on_write(char *data, size_t size, size_t n, void *arg) {
  transfer *t = arg;

  n *= size;
  if (t->len + n > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 4096;
    char *p;

    while (cap < t->len + n)
      cap *= 2;
    if (!(p = realloc(t->body, cap)))
      return 0;
    t->body = p;
    t->cap = cap;
  }
  memcpy(t->body + t->len, data, n);
  t->len += n;
  return n;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp) {
  struct epoll_event ev = {.data.fd = fd};

  (void)easy, (void)arg;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(g.epfd, EPOLL_CTL_DEL, fd, NULL);
    curl_multi_assign(g.multi, fd, NULL);
    return 0;
  }
  ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
  if (epoll_ctl(g.epfd, sockp ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0 && !sockp)
    curl_multi_assign(g.multi, fd, &g);
  return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *arg) {
  (void)multi, (void)arg;
  g.deadline = timeout_ms < 0 ? 0 : now() + timeout_ms / 1e3;
  return 0;
}

static void note_error(const char *what) {
  g.errors++;
  if (!g.reported++)
    fprintf(stderr, "bench-http-client-curl: %s\n", what);
}

/* A transfer ended: count and check it, start it again unless the phase
 * is over. Returns 1 if it was re-added. */
static int finish(CURL *easy, CURLcode result) {
  transfer *t;
  long status = 0;

  curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&t);
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_multi_remove_handle(g.multi, easy);
  g.done++;
  if (result != CURLE_OK)
    note_error(curl_easy_strerror(result));
  else if (status != 200 || t->len != g.size)
    note_error("wrong status or body size");
  t->len = 0;
  if (now() >= g.end)
    return 0;
  curl_multi_add_handle(g.multi, easy);
  return 1;
}

static int collect(void) {
  int finished = 0, left;
  CURLMsg *m;

  while ((m = curl_multi_info_read(g.multi, &left)) != NULL)
    if (m->msg == CURLMSG_DONE)
      finished += 1 - finish(m->easy_handle, m->data.result);
  return finished;
}

/* Milliseconds to curl's timer for epoll_wait (-1: none). */
static int wait_ms(void) {
  double left;

  if (g.deadline == 0)
    return -1;
  left = g.deadline - now();
  return left <= 0 ? 0 : (int)(left * 1e3) + 1;
}

static void act(curl_socket_t fd, int flags) {
  int running;

  curl_multi_socket_action(g.multi, fd, flags, &running);
}

static int event_flags(uint32_t events) {
  return (events & (EPOLLIN | EPOLLHUP | EPOLLERR) ? CURL_CSELECT_IN : 0) |
         (events & EPOLLOUT ? CURL_CSELECT_OUT : 0) | (events & EPOLLERR ? CURL_CSELECT_ERR : 0);
}

static void run_phase(transfer *ts, int conc, double seconds) {
  struct epoll_event evs[256];
  int active = conc;

  g.end = now() + seconds;
  for (int i = 0; i < conc; i++)
    curl_multi_add_handle(g.multi, ts[i].easy);
  while (active > 0) {
    int n = epoll_wait(g.epfd, evs, 256, wait_ms());

    for (int i = 0; i < n; i++)
      act(evs[i].data.fd, event_flags(evs[i].events));
    if (g.deadline != 0 && now() >= g.deadline) {
      g.deadline = 0;
      act(CURL_SOCKET_TIMEOUT, 0);
    }
    active -= collect();
  }
}

static void cpu(double *all, double *user) {
  struct rusage ru;

  getrusage(RUSAGE_SELF, &ru);
  *user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
  *all = *user + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static transfer *transfers(const char *url, int conc) {
  transfer *ts = calloc((size_t)conc, sizeof *ts);

  for (int i = 0; ts && i < conc; i++) {
    CURL *e = ts[i].easy = curl_easy_init();

    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &ts[i]);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &ts[i]);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  }
  return ts;
}

int main(int argc, char **argv) {
  double warmup, duration, c0, u0, c1, u1, t0, secs, per;
  transfer *ts;
  int conc;

  if (argc != 6) {
    fprintf(stderr, "usage: bench-http-client-curl URL CONC DURATION WARMUP SIZE\n");
    return 2;
  }
  conc = atoi(argv[2]);
  duration = atof(argv[3]);
  warmup = atof(argv[4]);
  g.size = strtoul(argv[5], NULL, 10);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  g.multi = curl_multi_init();
  g.epfd = epoll_create1(EPOLL_CLOEXEC);
  curl_multi_setopt(g.multi, CURLMOPT_MAXCONNECTS, (long)(conc > 5 ? conc : 5));
  curl_multi_setopt(g.multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(g.multi, CURLMOPT_TIMERFUNCTION, on_timer);
  if (conc < 1 || !(ts = transfers(argv[1], conc)))
    return 2;
  run_phase(ts, conc, warmup);
  g.done = 0;
  printf("START\n");
  fflush(stdout);
  cpu(&c0, &u0);
  t0 = now();
  run_phase(ts, conc, duration);
  secs = now() - t0;
  cpu(&c1, &u1);
  per = g.done ? 1000.0 / g.done : 0;
  printf("RESULT reqs=%.1f cpu_ms=%.3f user_ms=%.3f n=%ld errors=%ld secs=%.3f\n", g.done / secs,
         (c1 - c0) * 1e3 * per, (u1 - u0) * 1e3 * per, g.done, g.errors, secs);
  for (int i = 0; i < conc; i++) {
    curl_easy_cleanup(ts[i].easy);
    free(ts[i].body);
  }
  free(ts);
  curl_multi_cleanup(g.multi);
  curl_global_cleanup();
  return g.errors ? 1 : 0;
}
