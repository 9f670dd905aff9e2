/*
 * File errors with the path in the message, cancellation and timeouts at
 * the suspension points, and the loop kept free during large I/O.
 */
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "test.h"

static void expect_msg(const char *op, const char *path, const char *text) {
  char want[512];

  snprintf(want, sizeof want, "%s '%s': %s", op, path, text);
  ASSERT_STR_EQ(want, weft_fs_error());
}

static void *errors_main(void *arg) {
  weft_file *f;
  char *dir, p[256];

  (void)arg;
  ASSERT_EQ(-ENOENT, weft_file_open(&f, "/nonexistent/x", "r"));
  expect_msg("open", "/nonexistent/x", "No such file or directory");
  ASSERT_EQ(-ENOENT, weft_file_open(&f, "/nonexistent/x", "w"));
  /* a directory, in read mode too (as Python) */
  ASSERT_EQ(-EISDIR, weft_file_open(&f, "/tmp", "r"));
  expect_msg("open", "/tmp", "Is a directory");
  ASSERT_EQ(-EISDIR, weft_file_open(&f, "/tmp", "w"));
  /* EACCES: root bypasses permission bits on ordinary files, but not the
   * read-only sysctl files of /proc/sys. */
  ASSERT_EQ(-EACCES, weft_file_open(&f, "/proc/sys/kernel/ostype", "w"));
  expect_msg("open", "/proc/sys/kernel/ostype", "Permission denied");
  /* EEXIST for x */
  ASSERT_OK(weft_fs_mkdtemp("/tmp/weft-err-XXXXXX", &dir));
  snprintf(p, sizeof p, "%s/f", dir);
  ASSERT_OK(weft_file_open(&f, p, "x"));
  ASSERT_OK(weft_file_close(f));
  ASSERT_EQ(-EEXIST, weft_file_open(&f, p, "x"));
  expect_msg("open", p, "File exists");
  ASSERT_EQ(-EEXIST, weft_fs_mkdir(p, 0755, WEFT_MKDIR_PARENTS)); /* a file */
  ASSERT_OK(weft_fs_remove(p));
  ASSERT_OK(weft_fs_rmdir(dir));
  weft_free(dir);
  return NULL;
}

TEST_IMPL(fs_errors_with_path) {
  ASSERT_OK(weft_test_run(errors_main, NULL, NULL));
  return 0;
}

/* ENOSPC: /dev/full takes nothing. A small write is buffered, the error
 * comes with the flush (or close). A write larger than the write buffer
 * publishes segments until it must wait for the writer, which has failed
 * by then: the write reports it, and the kept segments fail again at
 * close. One of 4 MiB or more is written directly and fails at once. */
static void *enospc_main(void *arg) {
  static char big[2 * WEFT_FILE_BUFFER], huge[4 << 20];
  weft_file *f;

  (void)arg;
  ASSERT_OK(weft_file_open(&f, "/dev/full", "w"));
  ASSERT_EQ(5, weft_file_write(f, "hello", 5));
  ASSERT_EQ(-ENOSPC, weft_file_flush(f));
  expect_msg("write", "/dev/full", "No space left on device");
  /* The kept 5 bytes go first and fail again. */
  ASSERT_EQ(-ENOSPC, weft_file_write(f, big, sizeof big));
  ASSERT_EQ(-ENOSPC, weft_file_close(f)); /* still kept: fails again */
  ASSERT_OK(weft_file_open(&f, "/dev/full", "w"));
  ASSERT_EQ(-ENOSPC, weft_file_write(f, big, sizeof big));
  ASSERT_EQ(-ENOSPC, weft_file_close(f));
  ASSERT_OK(weft_file_open(&f, "/dev/full", "w"));
  ASSERT_EQ(-ENOSPC, weft_file_write(f, huge, sizeof huge));
  ASSERT_OK(weft_file_close(f));
  return NULL;
}

TEST_IMPL(fs_enospc_dev_full) {
  ASSERT_OK(weft_test_run(enospc_main, NULL, NULL));
  return 0;
}

/* ---- cancellation --------------------------------------------------- */

#define BIG (64u * 1024u * 1024u)
static char *bigbuf;
static weft_file *shared;

static void *big_writer(void *arg) {
  (void)arg;
  return weft_fail((int)weft_file_write(shared, bigbuf, BIG), "write");
}

static void *big_reader(void *arg) {
  (void)arg;
  return weft_fail((int)weft_file_read(shared, bigbuf, BIG), "read");
}

static void *cancel_main(void *arg) {
  char path[] = "/tmp/weft-cancel-XXXXXX", buf[8];
  weft_scope sc;
  weft_task *t;
  weft_stat st;
  int64_t pos;
  int rc;

  (void)arg;
  bigbuf = calloc(1, BIG);
  close(mkstemp(path));
  ASSERT_OK(weft_file_open(&shared, path, "r+"));
  /* An expired scope: nothing starts, nothing moves. */
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(-ETIMEDOUT, weft_file_write(shared, bigbuf, BIG));
  ASSERT_EQ(-ETIMEDOUT, weft_file_read(shared, buf, 1));
  ASSERT_OK(weft_file_flush(shared)); /* nothing buffered: no request */
  ASSERT_EQ(-ETIMEDOUT, weft_fs_stat(path, &st));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(0, weft_file_tell(shared));
  /* A cancelled large write: the request in flight finishes, tell()
   * counts what it wrote, the file stays usable. */
  ASSERT_OK(weft_spawn(&t, big_writer, NULL, NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t);
  rc = weft_await(t, NULL);
  ASSERT(rc == -ECANCELED || rc == 0);
  weft_task_release(t);
  pos = weft_file_tell(shared);
  ASSERT_OK(weft_fs_stat(path, &st));
  ASSERT_EQ((uint64_t)pos, st.size);
  ASSERT_EQ(2, weft_file_write(shared, "ok", 2));
  ASSERT_OK(weft_file_flush(shared));
  ASSERT_OK(weft_fs_stat(path, &st));
  ASSERT_EQ((uint64_t)pos + 2, st.size);
  /* A cancelled large read consumes nothing. */
  ASSERT_OK(weft_file_seek(shared, 0, SEEK_SET, NULL));
  ASSERT_OK(weft_spawn(&t, big_reader, NULL, NULL));
  ASSERT_OK(weft_yield());
  weft_task_cancel(t);
  rc = weft_await(t, NULL);
  weft_task_release(t);
  if (rc == -ECANCELED)
    ASSERT_EQ(0, weft_file_tell(shared));
  ASSERT_OK(weft_file_seek(shared, -2, SEEK_END, NULL));
  ASSERT_EQ(2, weft_file_read(shared, buf, 8));
  ASSERT_OK(memcmp(buf, "ok", 2));
  /* close runs to the end even in a cancelled task */
  ASSERT_OK(weft_timeout_enter(&sc, 0));
  ASSERT_EQ(1, weft_file_write(shared, "!", 1));
  ASSERT_OK(weft_file_close(shared));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_fs_stat(path, &st));
  ASSERT_EQ((uint64_t)pos + 3, st.size);
  ASSERT_OK(weft_fs_remove(path));
  free(bigbuf);
  return NULL;
}

TEST_IMPL(fs_cancel_keeps_position) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

/* ---- the loop never blocks ------------------------------------------ */

/* 1 GiB written and read back (about 3 to 8 s here), or 256 MiB when /tmp
 * has less than 4 GiB free. A ticker task sleeps 1 ms at a time; the
 * largest gap between its ticks must stay far below the time the I/O
 * takes. */
#define NB_CHUNK (1024u * 1024u)
static volatile int io_done;
static double max_gap;
static long ticks;

static void *ticker(void *arg) {
  double last = weft_time();

  (void)arg;
  while (!io_done) {
    double now;

    ASSERT_OK(weft_sleep(0.001));
    now = weft_time();
    if (now - last > max_gap)
      max_gap = now - last;
    last = now;
    ticks++;
  }
  return NULL;
}

static uint64_t io_total(void) {
  struct statvfs vfs;

  if (statvfs("/tmp", &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize >= (4ull << 30))
    return 1ull << 30;
  return 256ull << 20;
}

static void *noblock_main(void *arg) {
  const uint64_t total = io_total();
  char path[] = "/tmp/weft-noblock-XXXXXX";
  char *chunk = malloc(NB_CHUNK);
  weft_task *t;
  weft_file *f;
  double start, took;

  (void)arg;
  memset(chunk, 'z', NB_CHUNK);
  close(mkstemp(path));
  ASSERT_OK(weft_spawn(&t, ticker, NULL, NULL));
  start = weft_time();
  ASSERT_OK(weft_file_open(&f, path, "w+"));
  for (uint64_t off = 0; off < total; off += NB_CHUNK)
    ASSERT_EQ(NB_CHUNK, weft_file_write(f, chunk, NB_CHUNK));
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  for (uint64_t off = 0; off < total; off += NB_CHUNK)
    ASSERT_EQ(NB_CHUNK, weft_file_read(f, chunk, NB_CHUNK));
  ASSERT_EQ(0, weft_file_read(f, chunk, 1));
  ASSERT_OK(weft_file_close(f));
  took = weft_time() - start;
  io_done = 1;
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_OK(weft_fs_remove(path));
  free(chunk);
  fprintf(stderr, "%" PRIu64 " MiB written and read in %.2f s; %ld ticks, max gap %.1f ms\n",
          total >> 20, took, ticks, max_gap * 1e3);
  ASSERT_GT(ticks, 10);
  ASSERT_LT(max_gap, took / 4);
  ASSERT_LT(max_gap, 1.0);
  return NULL;
}

TEST_TIMEOUT(fs_never_blocks_the_loop, 180);
TEST_IMPL(fs_never_blocks_the_loop) {
  ASSERT_OK(weft_test_run(noblock_main, NULL, NULL));
  return 0;
}
