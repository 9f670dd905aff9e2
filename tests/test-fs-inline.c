/*
 * Reads of cached data on the loop thread (src/fs/read_inline.c): the data
 * and positions are the same as through the thread pool, a file that is
 * not cached or whose file system refuses RWF_NOWAIT goes to the pool, a
 * long run of inline reads gives the other tasks turns, and an
 * interruption delivered at such a turn leaves the position where the read
 * started.
 */
#include <fcntl.h>
#include <unistd.h>

#include "fs/internal.h"
#include "test.h"

#define MIB (1024u * 1024u)

static char path[64];

/* Byte i of the test files. */
static char byte_at(uint64_t i) {
  return (char)(i * 7 + (i >> 16));
}

/* A file of mib MiB of byte_at, written with plain stdio; in the page
 * cache afterwards. */
static void make_file(unsigned mib) {
  static char block[MIB];
  FILE *fp;
  int fd;

  snprintf(path, sizeof path, "/tmp/weft-inline-XXXXXX");
  ASSERT_GE((fd = mkstemp(path)), 0);
  close(fd);
  ASSERT_NOT_NULL((fp = fopen(path, "wb")));
  for (unsigned m = 0; m < mib; m++) {
    for (uint64_t i = 0; i < MIB; i++)
      block[i] = byte_at((uint64_t)m * MIB + i);
    ASSERT_EQ(MIB, fwrite(block, 1, MIB, fp));
  }
  /* Written back before the test reads: no writeback runs meanwhile. */
  ASSERT_OK(fflush(fp));
  ASSERT_OK(fsync(fileno(fp)));
  ASSERT_OK(fclose(fp));
}

/* Drop the file's pages from the page cache (clean after fsync). */
static void evict_file(void) {
  int fd = open(path, O_RDONLY);

  ASSERT_GE(fd, 0);
  ASSERT_OK(fsync(fd));
  ASSERT_OK(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
  close(fd);
}

static int matches(const char *buf, size_t n, uint64_t at) {
  for (size_t i = 0; i < n; i++)
    if (buf[i] != byte_at(at + i))
      return 0;
  return 1;
}

/* Read the whole file in chunk-sized reads, checking every byte. */
static uint64_t read_through(weft_file *f, size_t chunk) {
  char *buf = malloc(chunk);
  uint64_t at = 0;
  ssize_t n;

  while ((n = weft_file_read(f, buf, chunk)) > 0) {
    ASSERT(matches(buf, (size_t)n, at));
    at += (uint64_t)n;
    ASSERT_EQ((int64_t)at, weft_file_tell(f));
  }
  ASSERT_EQ(0, n);
  free(buf);
  return at;
}

static void *cached_main(void *arg) {
  weft__fs_inline_stats s0 = weft__fs_inline_stats_get(), s;
  char small[100], big[64 * 1024];
  weft_file *f;

  (void)arg;
  make_file(8);
  ASSERT_OK(weft_file_open(&f, path, "rb"));
  ASSERT_EQ(8 * MIB, read_through(f, 64 * 1024));
  s = weft__fs_inline_stats_get();
  ASSERT_GE(s.reads - s0.reads, 8 * 16);
  ASSERT_EQ(s0.pooled, s.pooled);
  ASSERT_GE(s.yields - s0.yields, 1); /* 8 MiB read inline: turns given */
  /* A small read fills the buffer; a large one takes what is buffered,
   * then the rest straight from the file. */
  ASSERT_OK(weft_file_seek(f, 12345, SEEK_SET, NULL));
  ASSERT_EQ(sizeof small, weft_file_read(f, small, sizeof small));
  ASSERT(matches(small, sizeof small, 12345));
  ASSERT_EQ(sizeof big, weft_file_read(f, big, sizeof big));
  ASSERT(matches(big, sizeof big, 12345 + sizeof small));
  ASSERT_EQ(12345 + sizeof small + sizeof big, weft_file_tell(f));
  /* A short read at the end of the file, then EOF. */
  ASSERT_OK(weft_file_seek(f, 8 * MIB - 1000, SEEK_SET, NULL));
  ASSERT_EQ(1000, weft_file_read(f, big, sizeof big));
  ASSERT(matches(big, 1000, 8 * MIB - 1000));
  ASSERT_EQ(0, weft_file_read(f, big, sizeof big));
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(unlink(path));
  return NULL;
}

TEST_IMPL(fs_read_inline_cached) {
  ASSERT_OK(weft_test_run(cached_main, NULL, NULL));
  return 0;
}

static void *not_cached_main(void *arg) {
  weft__fs_inline_stats s0, s;
  weft_file *f;

  (void)arg;
  make_file(4);
  evict_file();
  s0 = weft__fs_inline_stats_get();
  ASSERT_OK(weft_file_open(&f, path, "rb"));
  ASSERT_EQ(4 * MIB, read_through(f, 64 * 1024));
  s = weft__fs_inline_stats_get();
  ASSERT_GE(s.missed - s0.missed, 1); /* not cached: EAGAIN, then the pool */
  ASSERT_GE(s.pooled - s0.pooled, 1);
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(unlink(path));
  return NULL;
}

TEST_IMPL(fs_read_inline_not_cached) {
  ASSERT_OK(weft_test_run(not_cached_main, NULL, NULL));
  return 0;
}

/* procfs takes no RWF_NOWAIT: the first read is refused, the file then
 * goes to the pool without trying again. */
static void *refused_main(void *arg) {
  weft__fs_inline_stats s0 = weft__fs_inline_stats_get(), s1, s2;
  char buf[64 * 1024];
  weft_file *f;
  ssize_t n;

  (void)arg;
  ASSERT_OK(weft_file_open(&f, "/proc/self/status", "rb"));
  ASSERT_GT((n = weft_file_read(f, buf, sizeof buf - 1)), 0);
  buf[n] = '\0';
  ASSERT_NOT_NULL(strstr(buf, "Name:"));
  s1 = weft__fs_inline_stats_get();
  ASSERT_EQ(s0.missed + 1, s1.missed);
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  ASSERT_GT((n = weft_file_read(f, buf, sizeof buf - 1)), 0); /* its size varies */
  buf[n] = '\0';
  ASSERT_NOT_NULL(strstr(buf, "Name:"));
  s2 = weft__fs_inline_stats_get();
  ASSERT_EQ(s1.missed, s2.missed);
  ASSERT_GT(s2.pooled, s1.pooled);
  ASSERT_OK(weft_file_close(f));
  return NULL;
}

TEST_IMPL(fs_read_inline_refused) {
  ASSERT_OK(weft_test_run(refused_main, NULL, NULL));
  return 0;
}

/* While one task reads a cached file inline, another keeps getting turns. */
static volatile int reading;
static long turns;

static void *other(void *arg) {
  (void)arg;
  while (reading) {
    ASSERT_OK(weft_yield());
    turns++;
  }
  return NULL;
}

static void *fair_main(void *arg) {
  weft_task *t;
  weft_file *f;

  (void)arg;
  make_file(32);
  reading = 1;
  ASSERT_OK(weft_spawn(&t, other, NULL, NULL));
  ASSERT_OK(weft_file_open(&f, path, "rb"));
  ASSERT_EQ(32 * MIB, read_through(f, 64 * 1024));
  reading = 0;
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_GE(turns, 4); /* one at least every 4 MiB */
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(unlink(path));
  return NULL;
}

TEST_IMPL(fs_read_inline_gives_turns) {
  ASSERT_OK(weft_test_run(fair_main, NULL, NULL));
  return 0;
}

/* A reader cancelled, or timed out, at one of its turns: the read returns
 * the code and the position is where that read started. */
static ssize_t reader_code;

static void *reader(void *arg) {
  weft_file *f = arg;
  char *buf = malloc(MIB);
  int64_t before;
  ssize_t n;

  for (;;) {
    before = weft_file_tell(f);
    if ((n = weft_file_read(f, buf, MIB)) < 0)
      break;
    ASSERT(matches(buf, (size_t)n, (uint64_t)before));
    if (n == 0)
      ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  }
  free(buf);
  ASSERT_EQ(before, weft_file_tell(f));
  reader_code = n;
  return NULL;
}

static void *timed_reader(void *arg) {
  weft_scope scope;

  ASSERT_OK(weft_timeout_enter(&scope, 0.05));
  reader(arg);
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&scope));
  return NULL;
}

static void *interrupt_main(void *arg) {
  weft_task *t;
  weft_file *f;

  (void)arg;
  make_file(8);
  ASSERT_OK(weft_file_open(&f, path, "rb"));
  ASSERT_OK(weft_spawn(&t, reader, f, NULL));
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_EQ(1, weft_task_cancel(t));
  weft_await(t, NULL); /* it saw the cancellation and returned */
  weft_task_release(t);
  ASSERT_EQ(-ECANCELED, reader_code);
  ASSERT_OK(weft_spawn(&t, timed_reader, f, NULL));
  ASSERT_OK(weft_await(t, NULL));
  weft_task_release(t);
  ASSERT_EQ(-ETIMEDOUT, reader_code);
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(unlink(path));
  return NULL;
}

TEST_IMPL(fs_read_inline_interrupted) {
  ASSERT_OK(weft_test_run(interrupt_main, NULL, NULL));
  return 0;
}
