/*
 * Write-behind: the write buffer is a ring of 64 KiB segments that a job on
 * the thread pool writes while the task fills the next one. Content and
 * positions through many turns of the ring in every writing mode, a
 * failure reported at a later call and its data kept, cancellation and timeouts while the
 * task waits for room, several tasks waiting for the job, and a file
 * closed outside a task while the job runs. A FIFO open both ways (so
 * written through the pool) whose reader does not read yet holds the job
 * for as long as a test needs.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/internal.h"
#include "test.h"

#define KIB 1024u
#define MIB (1024u * 1024u)

static char dir[64];
static char fifo[96];

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/weft-behind-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
}

static void remove_dir(void) {
  char cmd[128];

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ASSERT_OK(system(cmd));
}

/* The byte at offset pos of a test file (salt tells writers apart). */
static unsigned char pattern(uint64_t pos, unsigned salt) {
  return (unsigned char)(pos ^ (pos >> 9) ^ (pos >> 17) ^ salt);
}

static void fill(char *buf, size_t n, uint64_t at, unsigned salt) {
  for (size_t i = 0; i < n; i++)
    buf[i] = (char)pattern(at + i, salt);
}

/* Sizes from 1 byte to 300 KiB, some below, some above a segment or the
 * whole ring, and now and then one of up to 4 MiB, published in many
 * segments. */
static size_t next_size(uint32_t *seed) {
  *seed = *seed * 1103515245u + 12345u;
  switch ((*seed >> 16) % 8) {
  case 0:
  case 1:
    return 1 + (*seed >> 8) % 100;
  case 2:
  case 3:
    return 64 * KIB;
  case 4:
    return 1 + (*seed >> 2) % (4 * MIB);
  default:
    return 1 + (*seed >> 4) % (300 * KIB);
  }
}

/* Write [from, to) of the pattern in pieces, checking tell() each time. */
static void write_span(weft_file *f, uint64_t from, uint64_t to, unsigned salt, uint32_t seed) {
  static char chunk[4 * MIB];
  uint64_t at = from;

  while (at < to) {
    size_t n = next_size(&seed);

    if (n > to - at)
      n = (size_t)(to - at);
    fill(chunk, n, at, salt);
    ASSERT_EQ((ssize_t)n, weft_file_write(f, chunk, n));
    at += n;
    ASSERT_EQ((int64_t)at, weft_file_tell(f));
  }
}

/* The file holds the pattern (salt) on [from, to). */
static void check_span(const char *path, uint64_t from, uint64_t to, unsigned salt) {
  static char buf[64 * KIB];
  FILE *fp = fopen(path, "rb");
  uint64_t at = from;

  ASSERT_NOT_NULL(fp);
  ASSERT_OK(fseeko(fp, (off_t)from, SEEK_SET));
  while (at < to) {
    size_t n = to - at < sizeof buf ? (size_t)(to - at) : sizeof buf;

    ASSERT_EQ(n, fread(buf, 1, n, fp));
    for (size_t i = 0; i < n; i++)
      if ((unsigned char)buf[i] != pattern(at + i, salt))
        ASSERT_EQ(pattern(at + i, salt), (unsigned char)buf[i]);
    at += n;
  }
  fclose(fp);
}

static uint64_t size_of(const char *path) {
  weft_stat st;

  ASSERT_OK(weft_fs_stat(path, &st));
  return st.size;
}

static void *content_main(void *arg) {
  char path[128], buf[16], want[16];
  weft_file *f;
  int64_t pos;

  (void)arg;
  make_dir();
  snprintf(path, sizeof path, "%s/data", dir);
  /* w: 24 MiB in pieces of every size, many turns of the ring. */
  ASSERT_OK(weft_file_open(&f, path, "wb"));
  write_span(f, 0, 24 * MIB, 0, 1);
  ASSERT_OK(weft_file_close(f));
  ASSERT_EQ(24 * MIB, size_of(path));
  check_span(path, 0, 24 * MIB, 0);
  /* a: 5 MiB more at the end; the position is the end of the file. */
  ASSERT_OK(weft_file_open(&f, path, "ab"));
  ASSERT_EQ(24 * MIB, weft_file_tell(f));
  write_span(f, 24 * MIB, 29 * MIB, 0, 2);
  ASSERT_OK(weft_file_flush(f));
  ASSERT_EQ(29 * MIB, size_of(path));
  ASSERT_OK(weft_file_close(f));
  check_span(path, 0, 29 * MIB, 0);
  /* r+: overwrite the first 3 MiB; a read settles the writes first and
   * goes on where they ended. */
  ASSERT_OK(weft_file_open(&f, path, "r+b"));
  write_span(f, 0, 3 * MIB, 0x5a, 3);
  ASSERT_EQ(16, weft_file_read(f, buf, sizeof buf));
  fill(want, sizeof want, 3 * MIB, 0);
  ASSERT_OK(memcmp(want, buf, sizeof buf));
  ASSERT_OK(weft_file_seek(f, 0, SEEK_END, &pos));
  ASSERT_EQ(29 * MIB, pos);
  ASSERT_OK(weft_file_close(f));
  check_span(path, 0, 3 * MIB, 0x5a);
  check_span(path, 3 * MIB, 29 * MIB, 0);
  /* truncate after buffered writes cuts at the position. */
  ASSERT_OK(weft_file_open(&f, path, "r+b"));
  write_span(f, 0, 1 * MIB, 0x33, 4);
  ASSERT_OK(weft_file_truncate(f, -1));
  ASSERT_OK(weft_file_close(f));
  ASSERT_EQ(1 * MIB, size_of(path));
  check_span(path, 0, 1 * MIB, 0x33);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_write_behind_content) {
  ASSERT_OK(weft_test_run(content_main, NULL, NULL));
  return 0;
}
TEST_TIMEOUT(fs_write_behind_content, 60);

/* Timeouts of 0 to 300 µs around writes and flushes of every size, so they
 * land at every wait: for room, for the job at a flush, in a direct write.
 * An interrupted call has kept what tell() says and nothing more; writing
 * on from there, the file ends exactly as the pattern. */
static void *timeouts_main(void *arg) {
  static char chunk[4 * MIB];
  const uint64_t total = 16 * MIB;
  unsigned interrupted = 0, calls = 0;
  uint32_t seed = 11;
  char path[128];
  uint64_t at = 0;
  weft_file *f;

  (void)arg;
  make_dir();
  snprintf(path, sizeof path, "%s/timeouts", dir);
  ASSERT_OK(weft_file_open(&f, path, "wb"));
  while (at < total) {
    size_t n = next_size(&seed);
    weft_scope sc;
    ssize_t rc;

    n = n > total - at ? (size_t)(total - at) : n;
    fill(chunk, n, at, 0);
    ASSERT_OK(weft_timeout_enter(&sc, (double)(seed % 300) * 1e-6));
    rc = calls++ % 5 == 4 ? weft_file_flush(f) : weft_file_write(f, chunk, n);
    weft_timeout_leave(&sc);
    if (rc == -ETIMEDOUT) {
      int64_t pos = weft_file_tell(f);

      ASSERT(pos >= (int64_t)at && pos <= (int64_t)(at + n));
      at = (uint64_t)pos;
      interrupted++;
    } else if (calls % 5 != 0) {
      ASSERT_EQ((ssize_t)n, rc);
      at += n;
    } else {
      ASSERT_OK(rc);
    }
    ASSERT_EQ((int64_t)at, weft_file_tell(f));
  }
  ASSERT_OK(weft_file_close(f));
  ASSERT_GT(interrupted, 0);
  ASSERT_EQ(total, size_of(path));
  check_span(path, 0, total, 0);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_write_behind_timeouts_keep_position) {
  ASSERT_OK(weft_test_run(timeouts_main, NULL, NULL));
  return 0;
}
TEST_TIMEOUT(fs_write_behind_timeouts_keep_position, 60);

/* /dev/full: the write that publishes a segment succeeds; the failure comes
 * with a later write, flush and close, and no byte is counted twice. */
static void *enospc_main(void *arg) {
  static char chunk[64 * KIB];
  ssize_t rc = 0;
  weft_file *f;
  size_t ok = 0;

  (void)arg;
  ASSERT_OK(weft_file_open(&f, "/dev/full", "wb"));
  while (ok < 64 && (rc = weft_file_write(f, chunk, sizeof chunk)) == (ssize_t)sizeof chunk)
    ok++;
  ASSERT_EQ(-ENOSPC, rc);
  ASSERT_STR_EQ("write '/dev/full': No space left on device", weft_fs_error());
  /* The second write publishes the first segment; the job fails on it, and
   * a later write that needs the job reports it. */
  ASSERT(ok >= 2);
  ASSERT_EQ((int64_t)(ok * sizeof chunk), weft_file_tell(f));
  ASSERT_EQ(-ENOSPC, weft_file_flush(f)); /* the kept bytes fail again */
  ASSERT_EQ((int64_t)(ok * sizeof chunk), weft_file_tell(f));
  ASSERT_EQ(-ENOSPC, weft_file_close(f));
  return NULL;
}

TEST_IMPL(fs_write_behind_enospc) {
  ASSERT_OK(weft_test_run(enospc_main, NULL, NULL));
  return 0;
}

/* A file size limit (RLIMIT_FSIZE, SIGXFSZ ignored) stops the job part way
 * through a segment with EFBIG. A later write reports it and keeps nothing
 * of its piece; once the limit is raised, flush writes the kept segments
 * from where the job stopped, and the file ends whole: nothing lost, no
 * byte written twice. */
#define LIMITED (300 * KIB + 100)

static void *efbig_main(void *arg) {
  static char chunk[64 * KIB];
  struct rlimit old, low;
  char path[128], msg[192];
  uint64_t at = 0;
  weft_file *f;
  ssize_t rc = 0;

  (void)arg;
  make_dir();
  snprintf(path, sizeof path, "%s/limited", dir);
  ASSERT_NE(SIG_ERR, signal(SIGXFSZ, SIG_IGN));
  ASSERT_OK(getrlimit(RLIMIT_FSIZE, &old));
  low = old;
  low.rlim_cur = LIMITED;
  ASSERT_OK(setrlimit(RLIMIT_FSIZE, &low));
  ASSERT_OK(weft_file_open(&f, path, "wb"));
  while (at < 2 * MIB) {
    fill(chunk, sizeof chunk, at, 0);
    if ((rc = weft_file_write(f, chunk, sizeof chunk)) < 0)
      break;
    at += sizeof chunk;
  }
  ASSERT_EQ(-EFBIG, rc);
  snprintf(msg, sizeof msg, "write '%s': File too large", path);
  ASSERT_STR_EQ(msg, weft_fs_error());
  ASSERT_GT(at, LIMITED - 64 * KIB);         /* the failure came after the limit */
  ASSERT_EQ((int64_t)at, weft_file_tell(f)); /* nothing of the failed piece */
  ASSERT_EQ(-EFBIG, weft_file_flush(f));     /* kept, and failing again */
  ASSERT_EQ((int64_t)at, weft_file_tell(f));
  ASSERT_EQ(LIMITED, size_of(path));
  ASSERT_OK(setrlimit(RLIMIT_FSIZE, &old));
  ASSERT_OK(weft_file_flush(f));
  ASSERT_EQ(at, size_of(path));
  write_span(f, at, 3 * MIB, 0, 5);
  ASSERT_OK(weft_file_close(f));
  ASSERT_EQ(3 * MIB, size_of(path));
  check_span(path, 0, 3 * MIB, 0);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_write_behind_efbig_keeps_data) {
  ASSERT_OK(weft_test_run(efbig_main, NULL, NULL));
  return 0;
}

/* ---- a FIFO holds the job ------------------------------------------- */

typedef struct drain {
  int fd;
  uint64_t got;
  int bad;           /* bytes out of pattern */
  unsigned pause_us; /* after each read: a slow reader */
  pthread_t thread;
} drain;

static void *drain_run(void *arg) {
  static char buf[64 * KIB];
  drain *d = arg;
  ssize_t n;

  while ((n = read(d->fd, buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; i++)
      d->bad += (unsigned char)buf[i] != pattern(d->got + (uint64_t)i, 0);
    d->got += (uint64_t)n;
    if (d->pause_us)
      usleep(d->pause_us);
  }
  return NULL;
}

/* The reader end, opened before the writer so that opening does not wait. */
static int fifo_reader(void) {
  int fd;

  ASSERT_OK(mkfifo(fifo, 0600));
  fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_OK(fcntl(fd, F_SETFL, 0)); /* blocking reads for the drain */
  return fd;
}

static void drain_start(drain *d) {
  ASSERT_OK(pthread_create(&d->thread, NULL, drain_run, d));
}

/* Write 64 KiB pieces of the pattern until the next one would wait for
 * room: each piece fills a segment and publishes the one before. The job
 * writes the first into the pipe (which holds 64 KiB) and waits on the
 * second; with three segments in flight and the 5th piece in the fourth,
 * a 6th piece waits. */
#define FIFO_PIECES 5

static void fill_fifo(weft_file *f) {
  static char chunk[64 * KIB];

  for (unsigned i = 0; i < FIFO_PIECES; i++) {
    fill(chunk, sizeof chunk, (uint64_t)i * sizeof chunk, 0);
    ASSERT_EQ((ssize_t)sizeof chunk, weft_file_write(f, chunk, sizeof chunk));
  }
}

static void *blocked_writer(void *arg) {
  static char chunk[64 * KIB];

  ssize_t rc;

  fill(chunk, sizeof chunk, FIFO_PIECES * sizeof chunk, 0);
  rc = weft_file_write(arg, chunk, sizeof chunk);
  return rc < 0 ? weft_fail((int)rc, "write") : NULL;
}

static void *flusher(void *arg) {
  int rc = weft_file_flush(arg);

  return rc ? weft_fail(rc, "flush") : NULL;
}

static void *cancel_main(void *arg) {
  static char chunk[64 * KIB];
  const int64_t held = FIFO_PIECES * sizeof chunk;
  weft_task *t, *t2;
  weft_scope sc;
  weft_file *f;
  drain d = {0};

  (void)arg;
  make_dir();
  d.fd = fifo_reader();
  ASSERT_OK(weft_file_open(&f, fifo, "r+b"));
  fill_fifo(f);
  ASSERT_EQ(-ESPIPE, weft_file_tell(f)); /* a FIFO has no position */
  /* Cancelled while it waits for room: nothing of it is kept (the
   * drain below gets exactly the pieces written before). */
  ASSERT_OK(weft_spawn(&t, blocked_writer, f, NULL));
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_EQ(0, weft_task_done(t));
  weft_task_cancel(t);
  ASSERT_EQ(-ECANCELED, weft_await(t, NULL));
  weft_task_release(t);
  /* A timeout while it waits: the same. */
  ASSERT_OK(weft_timeout_enter(&sc, 0.02));
  fill(chunk, sizeof chunk, (uint64_t)held, 0);
  ASSERT_EQ(-ETIMEDOUT, weft_file_write(f, chunk, sizeof chunk));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  /* Two tasks wait for the job; both go on when it ends. */
  ASSERT_OK(weft_spawn(&t, flusher, f, NULL));
  ASSERT_OK(weft_spawn(&t2, flusher, f, NULL));
  ASSERT_OK(weft_sleep(0.02));
  ASSERT_EQ(0, weft_task_done(t));
  ASSERT_EQ(0, weft_task_done(t2));
  drain_start(&d);
  ASSERT_OK(weft_await(t, NULL));
  ASSERT_OK(weft_await(t2, NULL));
  weft_task_release(t);
  weft_task_release(t2);
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(pthread_join(d.thread, NULL)); /* EOF: the writer is closed */
  ASSERT_EQ((uint64_t)held, d.got);
  ASSERT_EQ(0, d.bad);
  close(d.fd);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_write_behind_cancel) {
  ASSERT_OK(weft_test_run(cancel_main, NULL, NULL));
  return 0;
}

/* A file written without pause gives its pool thread back every 100 ms: a
 * reader draining the FIFO far more slowly than the task writes keeps the
 * ring full the whole time, so the job never runs dry, and still it is
 * started again every turn. The reader gets every byte, in order. */
#define TURNS_MIB 4

static void *turns_main(void *arg) {
  static char chunk[64 * KIB];
  uint64_t starts = weft__fs_behind_job_starts();
  drain d = {.pause_us = 10000}; /* 64 reads of 64 KiB: 640 ms or more */
  weft_file *f;

  (void)arg;
  make_dir();
  d.fd = fifo_reader();
  ASSERT_OK(weft_file_open(&f, fifo, "r+b"));
  drain_start(&d);
  for (uint64_t at = 0; at < TURNS_MIB * MIB; at += sizeof chunk) {
    fill(chunk, sizeof chunk, at, 0);
    ASSERT_EQ((ssize_t)sizeof chunk, weft_file_write(f, chunk, sizeof chunk));
  }
  ASSERT_OK(weft_file_close(f));
  ASSERT_GE(weft__fs_behind_job_starts() - starts, 3);
  ASSERT_OK(pthread_join(d.thread, NULL));
  ASSERT_EQ((uint64_t)TURNS_MIB * MIB, d.got);
  ASSERT_EQ(0, d.bad);
  close(d.fd);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_write_behind_gives_pool_thread_back) {
  ASSERT_OK(weft_test_run(turns_main, NULL, NULL));
  return 0;
}

/* ---- closed outside a task while the job runs --------------------------- */

static void *leave_in_flight(void *arg) {
  ASSERT_OK(weft_file_open(arg, fifo, "r+b"));
  fill_fifo(*(weft_file **)arg);
  return NULL;
}

TEST_IMPL(fs_write_behind_close_outside_task) {
  long before = weft_test_live_allocations();
  weft_loop *loop;
  weft_task *t;
  weft_file *f;
  drain d = {0};

  make_dir();
  d.fd = fifo_reader();
  ASSERT_OK(weft_loop_new(&loop));
  weft_loop_set_current(loop);
  ASSERT_OK(weft_spawn(&t, leave_in_flight, &f, NULL));
  ASSERT_OK(weft_loop_run_until_complete(loop, t, NULL));
  weft_task_release(t);
  /* The buffered rest cannot be written outside a task; the job writes
   * the published segments and then closes the descriptor, once. */
  ASSERT_EQ(-EPERM, weft_file_close(f));
  drain_start(&d);
  ASSERT_OK(weft_loop_close(loop));
  weft_loop_free(loop);
  ASSERT_OK(pthread_join(d.thread, NULL)); /* EOF: the descriptor was closed */
  ASSERT_EQ(256 * KIB, d.got);
  ASSERT_EQ(0, d.bad);
  close(d.fd);
  remove_dir();
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* ---- one file, several tasks ------------------------------------------ */

#define WRITERS 4
#define PIECES 60

static weft_file *shared;

/* Each piece: a 17-byte header "T<task>S<seq>L<len>\n", then len bytes of
 * 'a' + task. Sizes up to 4 MiB, so writes wait for room and the
 * tasks' calls overlap. */
static void *piece_writer(void *arg) {
  static char body[WRITERS][4 * MIB + 32];
  unsigned task = (unsigned)(uintptr_t)arg;
  uint32_t seed = task + 7;
  char *p = body[task];

  for (unsigned seq = 0; seq < PIECES; seq++) {
    size_t len = next_size(&seed);
    int h = snprintf(p, 32, "T%uS%04uL%08zu\n", task, seq, len);

    memset(p + h, 'a' + (int)task, len);
    ASSERT_EQ((ssize_t)(h + len), weft_file_write(shared, p, (size_t)h + len));
    if (seq % 7 == 0)
      ASSERT_OK(weft_file_flush(shared));
  }
  return NULL;
}

/* Every piece whole, each task's in order, none missing. */
static void check_pieces(const char *path) {
  unsigned next[WRITERS] = {0};
  FILE *fp = fopen(path, "rb");
  unsigned task, seq;
  size_t len;
  int c;

  ASSERT_NOT_NULL(fp);
  while (fscanf(fp, "T%uS%4uL%8zu\n", &task, &seq, &len) == 3) {
    ASSERT_LT(task, WRITERS);
    ASSERT_EQ(next[task], seq);
    next[task]++;
    for (size_t i = 0; i < len; i++)
      if ((c = fgetc(fp)) != 'a' + (int)task)
        ASSERT_EQ('a' + (int)task, c);
  }
  ASSERT(feof(fp));
  for (unsigned t = 0; t < WRITERS; t++)
    ASSERT_EQ(PIECES, next[t]);
  fclose(fp);
}

static void *shared_main(void *arg) {
  weft_task *t[WRITERS];
  char path[128];

  (void)arg;
  make_dir();
  snprintf(path, sizeof path, "%s/shared", dir);
  ASSERT_OK(weft_file_open(&shared, path, "wb"));
  for (unsigned i = 0; i < WRITERS; i++)
    ASSERT_OK(weft_spawn(&t[i], piece_writer, (void *)(uintptr_t)i, NULL));
  for (unsigned i = 0; i < WRITERS; i++) {
    ASSERT_OK(weft_await(t[i], NULL));
    weft_task_release(t[i]);
  }
  ASSERT_OK(weft_file_close(shared));
  check_pieces(path);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_file_shared_by_writers) {
  ASSERT_OK(weft_test_run(shared_main, NULL, NULL));
  return 0;
}
