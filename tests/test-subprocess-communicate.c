/*
 * communicate: 100 MiB through cat both ways, a child that fills stderr
 * before reading stdin (would deadlock without concurrent reads), a child
 * that ignores its stdin, and argument errors.
 */
#include <stdint.h>

#include "test.h"

static uint64_t fnv1a(const char *p, size_t n) {
  uint64_t h = 1469598103934665603ull;

  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
  return h;
}

static char *pattern(size_t n) {
  char *b = weft_malloc(n);
  uint32_t x = 2463534242u;

  TORTURE_EXIT_UNLESS(b != NULL);
  ASSERT_NOT_NULL(b);
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = (char)x;
  }
  return b;
}

#define BIG (100u * 1024u * 1024u)

static void *cat_main(void *arg) {
  const char *argv[] = {"cat", NULL};
  weft_subprocess_opts o = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                            .stdout_mode = WEFT_SUBPROCESS_PIPE,
                            .stderr_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  char *in = pattern(BIG), *out, *err;
  size_t olen, elen;
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_subprocess_exec(argv, &o, &p));
  ASSERT_OK(weft_subprocess_communicate(p, in, BIG, &out, &olen, &err, &elen));
  ASSERT_EQ(BIG, olen);
  ASSERT_EQ(0, elen);
  ASSERT_EQ(fnv1a(in, BIG), fnv1a(out, olen));
  ASSERT_EQ(1, weft_subprocess_returncode(p, &code));
  ASSERT_EQ(0, code);
  weft_free(in);
  weft_free(out);
  weft_free(err);
  weft_subprocess_free(p);
  return NULL;
}

TEST_TIMEOUT(subprocess_communicate_100mib, 300);
TEST_IMPL(subprocess_communicate_100mib) {
  ASSERT_OK(weft_test_run(cat_main, NULL, NULL));
  return 0;
}

/* 4 MiB to stderr before reading 4 MiB of stdin and echoing it: only
 * reading both outputs while feeding the input gets through. */
static void *both_main(void *arg) {
  const size_t n = 4u * 1024u * 1024u;
  weft_subprocess_opts o = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                            .stdout_mode = WEFT_SUBPROCESS_PIPE,
                            .stderr_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  char *in = pattern(n), *out, *err;
  size_t olen, elen;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("head -c 4194304 /dev/zero >&2; cat; echo done >&2", &o, &p));
  ASSERT_OK(weft_subprocess_communicate(p, in, n, &out, &olen, &err, &elen));
  ASSERT_EQ(n, olen);
  ASSERT_OK(memcmp(in, out, n));
  ASSERT_EQ(n + 5, elen);
  ASSERT_STR_EQ("done\n", err + n);
  weft_free(in);
  weft_free(out);
  weft_free(err);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_communicate_both) {
  ASSERT_OK(weft_test_run(both_main, NULL, NULL));
  return 0;
}

/* A child that never reads its stdin: the input is dropped, no error. */
static void *ignores_main(void *arg) {
  const size_t n = 8u * 1024u * 1024u;
  weft_subprocess_opts o = {.stdin_mode = WEFT_SUBPROCESS_PIPE,
                            .stdout_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  char *in = pattern(n), *out;
  int code = -1;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("echo bye; exit 2", &o, &p));
  ASSERT_OK(weft_subprocess_communicate(p, in, n, &out, NULL, NULL, NULL));
  ASSERT_STR_EQ("bye\n", out);
  ASSERT_EQ(1, weft_subprocess_returncode(p, &code));
  ASSERT_EQ(2, code);
  weft_free(in);
  weft_free(out);
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_communicate_stdin_ignored) {
  ASSERT_OK(weft_test_run(ignores_main, NULL, NULL));
  return 0;
}

static void *args_main(void *arg) {
  const char *argv[] = {"true", NULL};
  weft_subprocess *p;
  char *out = (char *)1;
  size_t len = 9;

  (void)arg;
  ASSERT_EQ(-EINVAL, weft_subprocess_communicate(NULL, NULL, 0, &out, &len, NULL, NULL));
  ASSERT_NULL(out);
  ASSERT_EQ(0, len);
  ASSERT_OK(weft_subprocess_exec(argv, NULL, &p));
  ASSERT_EQ(-EINVAL, weft_subprocess_communicate(p, "x", 1, NULL, NULL, NULL, NULL));
  ASSERT_OK(weft_subprocess_communicate(p, NULL, 0, &out, &len, NULL, NULL));
  ASSERT_NULL(out);
  ASSERT_EQ(-EINVAL, weft_subprocess_wait(NULL, NULL));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_communicate_args) {
  ASSERT_OK(weft_test_run(args_main, NULL, NULL));
  return 0;
}

/* A second reader is refused while communicate reads. */
static void *reader(void *arg) {
  char *out;
  size_t len;

  if (weft_stream_read_all(arg, &out, &len) == 0)
    weft_free(out);
  return NULL;
}

static void *busy_main(void *arg) {
  weft_subprocess_opts o = {.stdout_mode = WEFT_SUBPROCESS_PIPE};
  weft_subprocess *p;
  weft_task *t;
  char *out;

  (void)arg;
  ASSERT_OK(weft_subprocess_shell("sleep 0.2; echo x", &o, &p));
  ASSERT_OK(weft_spawn(&t, reader, weft_subprocess_stdout(p), NULL));
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_EQ(-EBUSY, weft_subprocess_communicate(p, NULL, 0, &out, NULL, NULL, NULL));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_subprocess_wait(p, NULL));
  weft_subprocess_free(p);
  return NULL;
}

TEST_IMPL(subprocess_communicate_busy) {
  ASSERT_OK(weft_test_run(busy_main, NULL, NULL));
  return 0;
}
