/* Process pools: map, starmap, apply, streaming, payload sizes, crashes,
 * terminate, maxtasksperchild; the map with results in one arena
 * (weft_pool_map_arena): order, errors, empty and large results, the
 * worker's scratch space, frames shared by concurrent maps. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"

/* Every child was reaped: nothing is left to wait for. */
static void assert_no_children(void) {
  int st;
  pid_t r = waitpid(-1, &st, WNOHANG);

  ASSERT(r == 0 || (r < 0 && errno == ECHILD));
  if (r == 0) /* only children of someone else (none in the test runner) */
    ASSERT(0);
}

static int put_string(weft_buf *out, const char *s) {
  out->len = strlen(s);
  out->data = weft_malloc(out->len);
  if (!out->data)
    return -ENOMEM;
  memcpy(out->data, s, out->len);
  return 0;
}

/* Squares a decimal number, after a short sleep in the child's loop. */
static void *square(const weft_buf *arg, weft_buf *out) {
  char s[32];
  long v;
  int rc;

  snprintf(s, sizeof s, "%.*s", (int)arg->len, (const char *)arg->data);
  v = strtol(s, NULL, 10);
  if ((rc = weft_sleep(0.001 * (double)(10 - v % 10))) != 0)
    return weft_fail(rc, "interrupted");
  snprintf(s, sizeof s, "%ld:%d", v * v, (int)getpid());
  if (put_string(out, s))
    return weft_fail(-ENOMEM, "no memory");
  return NULL;
}

static weft_buf num_item(char *storage, long v) {
  sprintf(storage, "%ld", v);
  return (weft_buf){storage, strlen(storage)};
}

static long result_num(const weft_pool_result *r) {
  char s[64];

  snprintf(s, sizeof s, "%.*s", (int)r->buf.len, (const char *)r->buf.data);
  return strtol(s, NULL, 10);
}

static void finish(weft_pool *p) {
  ASSERT_OK(weft_pool_close(p));
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  assert_no_children();
}

static void *map_main(void *arg) {
  char st[10][24];
  weft_buf items[10];
  weft_pool_result res[10];
  weft_pool *p;

  (void)arg;
  for (int i = 0; i < 10; i++)
    items[i] = num_item(st[i], i);
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .childconcurrency = 3}));
  ASSERT_EQ(2, weft_pool_processes(p));
  ASSERT_OK(weft_pool_map(p, square, items, 10, res));
  for (int i = 0; i < 10; i++) {
    ASSERT_EQ(0, res[i].code);
    ASSERT_EQ((long)i * i, result_num(&res[i]));
    weft_pool_result_clear(&res[i]);
  }
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_map_in_order) {
  ASSERT_OK(weft_test_run(map_main, NULL, NULL));
  return 0;
}

/* (url, dirs) pairs: joins both arguments. */
static void *join_args(const weft_buf *arg, weft_buf *out) {
  weft_buf a[2];
  size_t n;
  char s[128];
  int rc = weft_buf_unpack(arg, a, 2, &n);

  if (rc || n != 2)
    return weft_fail(rc ? rc : -EINVAL, "expected 2 arguments");
  snprintf(s, sizeof s, "%.*s/%.*s", (int)a[0].len, (char *)a[0].data, (int)a[1].len,
           (char *)a[1].data);
  if (put_string(out, s))
    return weft_fail(-ENOMEM, "no memory");
  return NULL;
}

static void *starmap_main(void *arg) {
  weft_buf packed[3], res_s;
  weft_pool_result res[3];
  const char *urls[] = {"https://a.example", "https://b.example", "https://c.example"};
  weft_pool *p;

  (void)arg;
  for (int i = 0; i < 3; i++) {
    weft_buf two[2] = {{(void *)urls[i], strlen(urls[i])}, {(void *)"dir", 3}};

    ASSERT_OK(weft_buf_pack(&packed[i], two, 2));
  }
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2}));
  ASSERT_OK(weft_pool_starmap(p, join_args, packed, 3, res));
  for (int i = 0; i < 3; i++) {
    char want[64];

    snprintf(want, sizeof want, "%s/dir", urls[i]);
    res_s = res[i].buf;
    ASSERT_EQ(strlen(want), res_s.len);
    ASSERT_OK(memcmp(want, res_s.data, res_s.len));
    weft_pool_result_clear(&res[i]);
    weft_buf_free(&packed[i]);
  }
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_starmap_packed_args) {
  ASSERT_OK(weft_test_run(starmap_main, NULL, NULL));
  return 0;
}

static void *fails(const weft_buf *arg, weft_buf *out) {
  (void)out;
  return weft_fail(-EDOM, "bad input of %zu bytes", arg->len);
}

static void *apply_main(void *arg) {
  char st[24];
  weft_buf item = num_item(st, 7);
  weft_pool_result res;
  weft_pool *p;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1}));
  ASSERT_OK(weft_pool_apply(p, square, &item, &res));
  ASSERT_EQ(49, result_num(&res));
  weft_pool_result_clear(&res);
  /* an error from the worker function reaches us as code + message */
  ASSERT_EQ(-EDOM, weft_pool_apply(p, fails, &item, &res));
  ASSERT_EQ(-EDOM, res.code);
  ASSERT_STR_EQ("bad input of 1 bytes", res.message);
  weft_pool_result_clear(&res);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_apply_and_worker_error) {
  ASSERT_OK(weft_test_run(apply_main, NULL, NULL));
  return 0;
}

static void *stream_main(void *arg) {
  char st[6][24];
  weft_buf items[6];
  weft_pool_result res;
  weft_pool_stream *s;
  weft_pool *p;
  size_t idx, seen = 0, count = 0;
  int rc;

  (void)arg;
  for (int i = 0; i < 6; i++)
    items[i] = num_item(st[i], i);
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2}));
  ASSERT_OK(weft_pool_stream_new(&s, p, square, items, 6));
  while ((rc = weft_pool_stream_next(s, &idx, &res)) != WEFT_DONE) {
    ASSERT_OK(rc);
    ASSERT_EQ((long)idx * (long)idx, result_num(&res));
    ASSERT_EQ(0, seen & (1u << idx));
    seen |= 1u << idx;
    count++;
    weft_pool_result_clear(&res);
  }
  /* item 5 sleeps least, item 0 most: 5 comes before 0 */
  ASSERT_EQ(6, count);
  ASSERT_EQ(0x3f, seen);
  weft_pool_stream_free(s);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_stream_yields_all) {
  ASSERT_OK(weft_test_run(stream_main, NULL, NULL));
  return 0;
}

/* Echoes its argument with every byte incremented. */
static void *bump(const weft_buf *arg, weft_buf *out) {
  if (!arg->len)
    return NULL;
  if (!(out->data = weft_malloc(arg->len)))
    return weft_fail(-ENOMEM, "no memory");
  out->len = arg->len;
  for (size_t i = 0; i < arg->len; i++)
    ((unsigned char *)out->data)[i] = (unsigned char)(((unsigned char *)arg->data)[i] + 1);
  return NULL;
}

static void *payload_main(void *arg) {
  size_t big = 64u << 20;
  weft_buf items[2] = {{NULL, 0}, {weft_malloc(big), big}};
  weft_pool_result res[2];
  weft_pool *p;

  (void)arg;
  if (!items[1].data && weft_test_torture)
    weft_test_enomem_exit(); /* the test's own buffer was refused */
  ASSERT_NOT_NULL(items[1].data);
  for (size_t i = 0; i < big; i++)
    ((unsigned char *)items[1].data)[i] = (unsigned char)(i * 7);
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1}));
  ASSERT_OK(weft_pool_map(p, bump, items, 2, res));
  ASSERT_EQ(0, res[0].buf.len);
  ASSERT_NULL(res[0].buf.data);
  ASSERT_EQ(big, res[1].buf.len);
  for (size_t i = 0; i < big; i += 4093)
    ASSERT_EQ((unsigned char)(i * 7 + 1), ((unsigned char *)res[1].buf.data)[i]);
  ASSERT_EQ((unsigned char)((big - 1) * 7 + 1), ((unsigned char *)res[1].buf.data)[big - 1]);
  weft_pool_result_clear(&res[0]);
  weft_pool_result_clear(&res[1]);
  weft_buf_free(&items[1]);
  finish(p);
  return NULL;
}

TEST_TIMEOUT(process_pool_payload_0_and_64mib, 60); /* 64 MiB copied both ways */
TEST_IMPL(process_pool_payload_0_and_64mib) {
  ASSERT_OK(weft_test_run(payload_main, NULL, NULL));
  return 0;
}

/* Item "k" makes its child SIGKILL itself; the others sleep a little. */
static void *maybe_die(const weft_buf *arg, weft_buf *out) {
  if (arg->len == 1 && *(char *)arg->data == 'k') {
    weft_sleep(0.02); /* let the sibling items start in this child */
    raise(SIGKILL);
  }
  if (arg->len == 1 && *(char *)arg->data == 'x')
    exit(4);
  /* "a" runs beside "k": it must still be running when k kills the child,
   * even if k reaches the child late on a loaded machine */
  weft_sleep(arg->len == 1 && *(char *)arg->data == 'a' ? 2.0 : 0.05);
  return put_string(out, "ok") ? weft_fail(-ENOMEM, "no memory") : NULL;
}

static void *kill_main(void *arg) {
  /* one child running 2 items at once: k and its neighbour a die together;
   * the replacement runs the rest */
  weft_buf items[4] = {{"a", 1}, {"k", 1}, {"b", 1}, {"c", 1}};
  weft_pool_result res[4];
  weft_pool *p;
  pid_t first;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 2}));
  first = weft_pool_pid(p, 0);
  ASSERT_EQ(WEFT_POOL_WORKER_DIED, weft_pool_map(p, maybe_die, items, 4, res));
  for (int i = 0; i < 2; i++) {
    ASSERT_EQ(WEFT_POOL_WORKER_DIED, res[i].code);
    ASSERT_STR_EQ("worker 0 killed by signal 9", res[i].message);
  }
  for (int i = 2; i < 4; i++) {
    ASSERT_EQ(0, res[i].code);
    ASSERT_EQ(2, res[i].buf.len);
  }
  for (int i = 0; i < 4; i++)
    weft_pool_result_clear(&res[i]);
  ASSERT_NE(first, weft_pool_pid(p, 0));
  ASSERT_EQ(1, weft_pool_processes(p));
  /* exit() in a worker: the item fails with the exit status */
  ASSERT_EQ(WEFT_POOL_WORKER_DIED, weft_pool_apply(p, maybe_die, &(weft_buf){"x", 1}, &res[0]));
  ASSERT_STR_EQ("worker 0 exited with status 4", res[0].message);
  weft_pool_result_clear(&res[0]);
  ASSERT_OK(weft_pool_apply(p, maybe_die, &(weft_buf){"e", 1}, &res[0]));
  weft_pool_result_clear(&res[0]);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_child_killed_fails_only_its_items) {
  ASSERT_OK(weft_test_run(kill_main, NULL, NULL));
  return 0;
}

static void *slow(const weft_buf *arg, weft_buf *out) {
  (void)arg;
  (void)out;
  weft_sleep(10);
  return NULL;
}

static void *terminator(void *arg) {
  weft_sleep(0.05);
  weft_pool_terminate(arg);
  return NULL;
}

static void *terminate_main(void *arg) {
  weft_buf items[8] = {{"1", 1}, {"2", 1}, {"3", 1}, {"4", 1},
                       {"5", 1}, {"6", 1}, {"7", 1}, {"8", 1}};
  weft_pool_result res[8];
  weft_pool *p;
  double t0 = weft_time();

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .childconcurrency = 2}));
  ASSERT_OK(weft_spawn(NULL, terminator, p, NULL));
  ASSERT_EQ(-ECANCELED, weft_pool_map(p, slow, items, 8, res));
  ASSERT_LT(weft_time() - t0, 2.0);
  for (int i = 0; i < 8; i++) {
    ASSERT_EQ(-ECANCELED, res[i].code);
    weft_pool_result_clear(&res[i]);
  }
  ASSERT_EQ(-ESHUTDOWN, weft_pool_apply(p, slow, &items[0], &res[0]));
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_pool_terminate_cancels_pending) {
  ASSERT_OK(weft_test_run(terminate_main, NULL, NULL));
  return 0;
}

static void *pid_of(const weft_buf *arg, weft_buf *out) {
  char s[24];

  (void)arg;
  snprintf(s, sizeof s, "%d", (int)getpid());
  return put_string(out, s) ? weft_fail(-ENOMEM, "no memory") : NULL;
}

static int init_calls;

static void init_child(void *arg) {
  init_calls += *(int *)arg;
}

static void *init_seen(const weft_buf *arg, weft_buf *out) {
  char s[24];

  (void)arg;
  snprintf(s, sizeof s, "%d", init_calls);
  return put_string(out, s) ? weft_fail(-ENOMEM, "no memory") : NULL;
}

static void *recycle_main(void *arg) {
  weft_buf items[6] = {{0}};
  weft_pool_result res[6];
  weft_pool *p;
  int forty = 40;
  long pids[6];

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1,
                                                .maxtasksperchild = 2,
                                                .initializer = init_child,
                                                .initarg = &forty}));
  ASSERT_OK(weft_pool_map(p, pid_of, items, 6, res));
  for (int i = 0; i < 6; i++) {
    pids[i] = result_num(&res[i]);
    weft_pool_result_clear(&res[i]);
  }
  /* two items per child: three different children, in turn */
  ASSERT_EQ(pids[0], pids[1]);
  ASSERT_EQ(pids[2], pids[3]);
  ASSERT_EQ(pids[4], pids[5]);
  ASSERT_NE(pids[0], pids[2]);
  ASSERT_NE(pids[2], pids[4]);
  /* the initializer ran in the child (once), not here */
  ASSERT_OK(weft_pool_apply(p, init_seen, NULL, &res[0]));
  ASSERT_EQ(40, result_num(&res[0]));
  ASSERT_EQ(0, init_calls);
  weft_pool_result_clear(&res[0]);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_maxtasksperchild_recycles) {
  ASSERT_OK(weft_test_run(recycle_main, NULL, NULL));
  return 0;
}

static void *pack_main(void *arg) {
  weft_buf parts[3] = {{"ab", 2}, {NULL, 0}, {"xyz", 3}}, packed, out[3];
  size_t n;

  (void)arg;
  ASSERT_OK(weft_buf_pack(&packed, parts, 3));
  ASSERT_EQ(-ENOSPC, weft_buf_unpack(&packed, out, 2, &n));
  ASSERT_OK(weft_buf_unpack(&packed, out, 3, &n));
  ASSERT_EQ(3, n);
  ASSERT_EQ(2, out[0].len);
  ASSERT_EQ(0, out[1].len);
  ASSERT_OK(memcmp("xyz", out[2].data, 3));
  packed.len -= 1;
  ASSERT_EQ(-EINVAL, weft_buf_unpack(&packed, out, 3, &n));
  weft_buf_free(&packed);
  return NULL;
}

TEST_IMPL(process_buf_pack_unpack) {
  ASSERT_OK(weft_test_run(pack_main, NULL, NULL));
  return 0;
}

static void *timeout_main(void *arg) {
  weft_buf items[6] = {{"1", 1}, {"2", 1}, {"3", 1}, {"4", 1}, {"5", 1}, {"6", 1}};
  weft_pool_result res[6];
  weft_pool_stream *s;
  weft_scope scope;
  weft_pool *p;
  size_t idx;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 2}));
  /* the caller gives up: items in flight finish in the child, the rest are
   * dropped, and the pool goes on serving */
  ASSERT_OK(weft_timeout_enter(&scope, 0.005));
  ASSERT_EQ(-ETIMEDOUT, weft_pool_map(p, square, items, 6, res));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&scope));
  ASSERT_OK(weft_pool_stream_new(&s, p, square, items, 6));
  ASSERT_OK(weft_pool_stream_next(s, &idx, &res[0]));
  weft_pool_result_clear(&res[0]);
  weft_pool_stream_free(s); /* with results not taken and items pending */
  ASSERT_OK(weft_pool_apply(p, square, &items[2], &res[0]));
  ASSERT_EQ(9, result_num(&res[0]));
  weft_pool_result_clear(&res[0]);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_caller_gives_up) {
  ASSERT_OK(weft_test_run(timeout_main, NULL, NULL));
  return 0;
}

/* Other code in the process reaps every child it can: waitpid(-1). */
static atomic_int reaper_stop;

static void *reaper(void *arg) {
  int st;

  (void)arg;
  while (!atomic_load(&reaper_stop)) {
    if (waitpid(-1, &st, 0) < 0)
      usleep(1000); /* no children right now */
  }
  return NULL;
}

static void *stolen_main(void *arg) {
  weft_buf items[4] = {{"a", 1}, {"k", 1}, {"b", 1}, {"c", 1}};
  weft_pool_result res[4];
  weft_scope scope;
  weft_pool *p;
  pthread_t th;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 2}));
  ASSERT_OK(pthread_create(&th, NULL, reaper, NULL));
  /* the pool must notice its children's deaths without their status */
  ASSERT_OK(weft_timeout_enter(&scope, 8.0));
  ASSERT_EQ(WEFT_POOL_WORKER_DIED, weft_pool_map(p, maybe_die, items, 4, res));
  for (int i = 0; i < 2; i++) {
    const char *m = res[i].message;

    ASSERT_EQ(WEFT_POOL_WORKER_DIED, res[i].code);
    ASSERT_STR_EQ(m && strstr(m, "collected")
                      ? "worker 0 exited (its status was collected by other code)"
                      : "worker 0 killed by signal 9",
                  m);
  }
  for (int i = 2; i < 4; i++)
    ASSERT_EQ(0, res[i].code);
  for (int i = 0; i < 4; i++)
    weft_pool_result_clear(&res[i]);
  ASSERT_OK(weft_pool_close(p));
  ASSERT_OK(weft_pool_join(p));
  ASSERT_OK(weft_timeout_leave(&scope));
  ASSERT_EQ(0, weft_pool_processes(p));
  weft_pool_free(p);
  atomic_store(&reaper_stop, 1);
  ASSERT_OK(pthread_join(th, NULL));
  return NULL;
}

TEST_IMPL(process_pool_children_reaped_by_other_code) {
  ASSERT_OK(weft_test_run(stolen_main, NULL, NULL));
  return 0;
}

/* Sleeps as many seconds as its argument says. */
static void *nap(const weft_buf *arg, weft_buf *out) {
  (void)out;
  weft_sleep((double)(arg->len ? *(char *)arg->data - '0' : 0));
  return NULL;
}

static void *late_item_main(void *arg) {
  weft_pool_result res;
  weft_pool_stream *s;
  weft_pool *p;
  size_t idx;
  double t0;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 2}));
  ASSERT_OK(weft_pool_stream_new(&s, p, nap, &(weft_buf){"9", 1}, 1));
  ASSERT_OK(weft_sleep(0.1)); /* the first item is running in the child */
  /* an item arriving in a later frame runs beside it, not after it */
  t0 = weft_time();
  ASSERT_OK(weft_pool_apply(p, nap, &(weft_buf){"0", 1}, &res));
  ASSERT_LT(weft_time() - t0, 6.0);
  weft_pool_result_clear(&res);
  ASSERT_OK(weft_pool_terminate(p)); /* the first item is not awaited */
  ASSERT_EQ(-ECANCELED, weft_pool_stream_next(s, &idx, &res));
  weft_pool_result_clear(&res);
  weft_pool_stream_free(s);
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_pool_later_frame_runs_concurrently) {
  ASSERT_OK(weft_test_run(late_item_main, NULL, NULL));
  return 0;
}

/* ---- results in one arena ---------------------------------------------- */

/* Item i (a long) gives i copies of the byte 'a' + i % 26: 0 bytes for
 * item 0, the scratch space up to WEFT_POOL_SCRATCH, a buffer of its own
 * past it. Items whose value is a multiple of 7 above 0 fail. */
static void *repeat(const weft_buf *arg, weft_buf *out) {
  long v;

  memcpy(&v, arg->data, sizeof v);
  if (v && v % 7 == 0)
    return weft_fail(-EDOM, "item %ld refused", v);
  if (v > WEFT_POOL_SCRATCH && !(out->data = weft_malloc((size_t)v)))
    return weft_fail(-ENOMEM, "no memory");
  memset(out->data, 'a' + (int)(v % 26), (size_t)v);
  out->len = (size_t)v;
  return NULL;
}

static void check_repeat(const weft_pool_results *r, size_t i, long v) {
  weft_buf b = weft_pool_results_buf(r, i);

  if (v && v % 7 == 0) {
    ASSERT_EQ(-EDOM, r->items[i].code);
    ASSERT_NULL(b.data);
    ASSERT_EQ(0, b.len);
    if (weft_pool_results_message(r, i)[0] || r->items[i].len) { /* "" if out of memory */
      char want[40];

      snprintf(want, sizeof want, "item %ld refused", v);
      ASSERT_STR_EQ(want, weft_pool_results_message(r, i));
    }
    return;
  }
  ASSERT_EQ(0, r->items[i].code);
  ASSERT_NULL(weft_pool_results_message(r, i));
  ASSERT_EQ((size_t)v, b.len);
  if (!v) {
    ASSERT_NULL(b.data);
    return;
  }
  ASSERT_EQ('a' + v % 26, ((char *)b.data)[0]);
  ASSERT_EQ('a' + v % 26, ((char *)b.data)[v - 1]);
}

static void *arena_order_main(void *arg) {
  enum { N = 600 };
  long vals[N];
  weft_buf items[N];
  weft_pool_results r = {0};
  weft_pool *p;

  (void)arg;
  for (long i = 0; i < N; i++) {
    vals[i] = i;
    items[i] = (weft_buf){&vals[i], sizeof vals[i]};
  }
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .childconcurrency = 3}));
  /* the first failing code in input order; every outcome is there */
  ASSERT_EQ(-EDOM, weft_pool_map_arena(p, repeat, items, N, &r));
  ASSERT_EQ(N, r.n);
  for (size_t i = 0; i < N; i++)
    check_repeat(&r, i, vals[i]);
  /* the arena is reused: a second map overwrites it */
  ASSERT_OK(weft_pool_map_arena(p, repeat, items, 7, &r));
  ASSERT_EQ(7, r.n);
  for (size_t i = 0; i < 7; i++)
    check_repeat(&r, i, vals[i]);
  /* no items */
  ASSERT_OK(weft_pool_map_arena(p, repeat, items, 0, &r));
  ASSERT_EQ(0, r.n);
  weft_pool_results_free(&r);
  ASSERT_NULL(r.data);
  ASSERT_NULL(r.items);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_map_arena_order_errors_sizes) {
  ASSERT_OK(weft_test_run(arena_order_main, NULL, NULL));
  return 0;
}

/* Writes its argument to the scratch space, sleeps (other items run on
 * other workers of the child meanwhile), then checks it is still there. */
static void *scratch_keeps(const weft_buf *arg, weft_buf *out) {
  int rc;

  if (arg->len > WEFT_POOL_SCRATCH)
    return weft_fail(-EINVAL, "too long");
  memcpy(out->data, arg->data, arg->len);
  if ((rc = weft_sleep(0.002)) != 0)
    return weft_fail(rc, "interrupted");
  if (memcmp(out->data, arg->data, arg->len) != 0)
    return weft_fail(-EIO, "scratch changed while suspended");
  out->len = arg->len;
  return NULL;
}

static void *scratch_main(void *arg) {
  enum { N = 40 };
  char st[N][WEFT_POOL_SCRATCH];
  weft_buf items[N];
  weft_pool_results r = {0};
  weft_pool *p;

  (void)arg;
  for (int i = 0; i < N; i++) {
    size_t len = i == 0 ? WEFT_POOL_SCRATCH : (size_t)(i * 5);

    memset(st[i], 'A' + i % 26, len);
    items[i] = (weft_buf){st[i], len};
  }
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 8}));
  ASSERT_OK(weft_pool_map_arena(p, scratch_keeps, items, N, &r));
  for (int i = 0; i < N; i++) {
    weft_buf b = weft_pool_results_buf(&r, (size_t)i);

    ASSERT_EQ(items[i].len, b.len);
    ASSERT_OK(memcmp(items[i].data, b.data, b.len));
  }
  weft_pool_results_free(&r);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_map_arena_scratch_per_worker) {
  ASSERT_OK(weft_test_run(scratch_main, NULL, NULL));
  return 0;
}

/* Several maps at once: frames carry items of more than one map. */
typedef struct concurrent_arg {
  weft_pool *p;
  long base;
  int rc;
} concurrent_arg;

static void *echo_long(const weft_buf *arg, weft_buf *out) {
  memcpy(out->data, arg->data, arg->len);
  out->len = arg->len;
  return NULL;
}

static void *concurrent_map(void *arg) {
  enum { N = 100 };
  concurrent_arg *a = arg;
  long vals[N];
  weft_buf items[N];
  weft_pool_results r = {0};
  weft_pool_result owned[N];

  for (long i = 0; i < N; i++) {
    vals[i] = a->base + i;
    items[i] = (weft_buf){&vals[i], sizeof vals[i]};
  }
  if (a->base % 2) { /* the owned map beside the arena one */
    if ((a->rc = weft_pool_map(a->p, echo_long, items, N, owned)) != 0)
      return NULL;
    for (long i = 0; i < N; i++) {
      ASSERT_EQ(sizeof(long), owned[i].buf.len);
      ASSERT_OK(memcmp(&vals[i], owned[i].buf.data, sizeof(long)));
      weft_pool_result_clear(&owned[i]);
    }
    return NULL;
  }
  if ((a->rc = weft_pool_map_arena(a->p, echo_long, items, N, &r)) == 0) {
    for (long i = 0; i < N; i++) {
      weft_buf b = weft_pool_results_buf(&r, (size_t)i);

      ASSERT_EQ(sizeof(long), b.len);
      ASSERT_OK(memcmp(&vals[i], b.data, sizeof(long)));
    }
  }
  weft_pool_results_free(&r);
  return NULL;
}

static void *concurrent_main(void *arg) {
  concurrent_arg a[4];
  weft_task *t[4];
  weft_pool *p;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .chunksize = 16}));
  for (int i = 0; i < 4; i++) {
    a[i] = (concurrent_arg){p, 1000L * i + i % 2, -1};
    ASSERT_OK(weft_spawn(&t[i], concurrent_map, &a[i], NULL));
  }
  for (int i = 0; i < 4; i++) {
    ASSERT_OK(weft_await(t[i], NULL));
    weft_task_release(t[i]);
    ASSERT_OK(a[i].rc);
  }
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_map_arena_concurrent_maps) {
  ASSERT_OK(weft_test_run(concurrent_main, NULL, NULL));
  return 0;
}

static void *arena_kill_main(void *arg) {
  weft_buf items[4] = {{"a", 1}, {"k", 1}, {"b", 1}, {"c", 1}};
  weft_pool_results r = {0};
  weft_pool *p;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 2}));
  ASSERT_EQ(WEFT_POOL_WORKER_DIED, weft_pool_map_arena(p, maybe_die, items, 4, &r));
  ASSERT_EQ(4, r.n);
  for (size_t i = 0; i < 2; i++) {
    ASSERT_EQ(WEFT_POOL_WORKER_DIED, r.items[i].code);
    ASSERT_STR_EQ("worker 0 killed by signal 9", weft_pool_results_message(&r, i));
  }
  for (size_t i = 2; i < 4; i++) {
    ASSERT_EQ(0, r.items[i].code);
    ASSERT_OK(memcmp("ok", weft_pool_results_buf(&r, i).data, 2));
  }
  weft_pool_results_free(&r);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_map_arena_child_killed) {
  ASSERT_OK(weft_test_run(arena_kill_main, NULL, NULL));
  return 0;
}

/* Echoes its argument after a short sleep. */
static void *nap_echo(const weft_buf *arg, weft_buf *out) {
  int rc = weft_sleep(0.02);

  if (rc)
    return weft_fail(rc, "interrupted");
  memcpy(out->data, arg->data, arg->len);
  out->len = arg->len;
  return NULL;
}

static void *arena_gives_up_main(void *arg) {
  weft_buf items[8] = {{"1", 1}, {"2", 1}, {"3", 1}, {"4", 1},
                       {"5", 1}, {"6", 1}, {"7", 1}, {"8", 1}};
  weft_pool_results r = {0};
  weft_scope scope;
  weft_pool *p;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1, .childconcurrency = 2}));
  /* items in flight finish in the child, their results are dropped */
  ASSERT_OK(weft_timeout_enter(&scope, 0.005));
  ASSERT_EQ(-ETIMEDOUT, weft_pool_map_arena(p, nap_echo, items, 8, &r));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&scope));
  ASSERT_EQ(0, r.n);
  /* the pool and the arena serve the next map */
  ASSERT_OK(weft_pool_map_arena(p, nap_echo, items, 8, &r));
  ASSERT_EQ(8, r.n);
  for (size_t i = 0; i < 8; i++)
    ASSERT_OK(memcmp(items[i].data, weft_pool_results_buf(&r, i).data, 1));
  weft_pool_results_free(&r);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_map_arena_caller_gives_up) {
  ASSERT_OK(weft_test_run(arena_gives_up_main, NULL, NULL));
  return 0;
}

static void *arena_terminate_main(void *arg) {
  weft_buf items[6] = {{"1", 1}, {"2", 1}, {"3", 1}, {"4", 1}, {"5", 1}, {"6", 1}};
  weft_pool_results r = {0};
  weft_pool *p;

  (void)arg;
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2, .childconcurrency = 2}));
  ASSERT_OK(weft_spawn(NULL, terminator, p, NULL));
  ASSERT_EQ(-ECANCELED, weft_pool_map_arena(p, slow, items, 6, &r));
  ASSERT_EQ(6, r.n);
  for (size_t i = 0; i < 6; i++) {
    ASSERT_EQ(-ECANCELED, r.items[i].code);
    ASSERT_STR_EQ("pool terminated", weft_pool_results_message(&r, i));
  }
  ASSERT_EQ(-ESHUTDOWN, weft_pool_map_arena(p, slow, items, 6, &r));
  ASSERT_EQ(0, r.n);
  weft_pool_results_free(&r);
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  assert_no_children();
  return NULL;
}

TEST_IMPL(process_pool_map_arena_terminate) {
  weft_pool_results r = {0};

  /* outside a task (the pool is not looked at) */
  ASSERT_EQ(-EPERM, weft_pool_map_arena(NULL, slow, NULL, 0, &r));
  ASSERT_OK(weft_test_run(arena_terminate_main, NULL, NULL));
  return 0;
}

/* Claims a result of 5 GiB (its bytes are never read). */
static void *huge_result(const weft_buf *arg, weft_buf *out) {
  (void)arg;
  if (!(out->data = weft_malloc(16)))
    return weft_fail(-ENOMEM, "no memory");
  out->len = (size_t)5 << 30;
  return NULL;
}

/* Lengths travel as 32 bits: a larger item is refused before anything is
 * sent, a larger result fails its item alone; the pool goes on. */
static void *oversized_main(void *arg) {
  char st[2][24], small[16] = "7";
  weft_buf items[3], big = {small, (size_t)4 << 30};
  weft_pool_result res[3];
  weft_pool_results ar = {0};
  weft_pool_stream *s;
  weft_pool *p;

  (void)arg;
  items[0] = num_item(st[0], 2);
  items[1] = big;
  items[2] = num_item(st[1], 3);
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 1}));
  ASSERT_EQ(-EMSGSIZE, weft_pool_map(p, square, items, 3, res));
  ASSERT_EQ(-EMSGSIZE, weft_pool_map_arena(p, square, items, 3, &ar));
  ASSERT_EQ(-EMSGSIZE, weft_pool_apply(p, square, &big, &res[0]));
  ASSERT_EQ(-EMSGSIZE, weft_pool_stream_new(&s, p, square, items, 3));
  ASSERT_EQ(-EMSGSIZE, weft_pool_apply(p, huge_result, &items[0], &res[0]));
  ASSERT_NOT_NULL(res[0].message);
  ASSERT_NOT_NULL(strstr(res[0].message, "larger than"));
  weft_pool_result_clear(&res[0]);
  ASSERT_OK(weft_pool_apply(p, square, &items[2], &res[0]));
  ASSERT_EQ(9, result_num(&res[0]));
  weft_pool_result_clear(&res[0]);
  weft_pool_results_free(&ar);
  finish(p);
  return NULL;
}

TEST_IMPL(process_pool_oversized_item_and_result) {
  ASSERT_OK(weft_test_run(oversized_main, NULL, NULL));
  return 0;
}
