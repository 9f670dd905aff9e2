/*
 * Files that are streams: FIFOs and pipes (/dev/stdin when it is one) have
 * no offsets. weft reads and writes them with read(2) / write(2), seek and
 * tell fail with -ESPIPE, and a read interrupted part way keeps what it had
 * read for the next call: a pipe cannot be read twice.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char dir[64], fifo[96];

static void make_fifo(void) {
  snprintf(dir, sizeof dir, "/tmp/weft-stream-XXXXXX");
  ASSERT_NOT_NULL(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/fifo", dir);
  ASSERT_OK(mkfifo(fifo, 0600));
}

static void remove_fifo(void) {
  ASSERT_OK(unlink(fifo));
  ASSERT_OK(rmdir(dir));
}

/* A writer thread: opens the FIFO, writes each piece after a pause. */
typedef struct feeder {
  const char *const *pieces;
  double pause;
  pthread_t thread;
} feeder;

static void *feed_run(void *arg) {
  feeder *fd = arg;
  int w = open(fifo, O_WRONLY | O_CLOEXEC);

  ASSERT_GE(w, 0);
  for (const char *const *p = fd->pieces; *p; p++) {
    usleep((useconds_t)(fd->pause * 1e6));
    ASSERT_EQ((ssize_t)strlen(*p), write(w, *p, strlen(*p)));
  }
  close(w);
  return NULL;
}

static void feed(feeder *fd, const char *const *pieces, double pause) {
  fd->pieces = pieces;
  fd->pause = pause;
  ASSERT_OK(pthread_create(&fd->thread, NULL, feed_run, fd));
}

static void expect_line(weft_file *f, const char *want) {
  const char *line;
  size_t len;

  ASSERT_OK(weft_file_next_line(f, &line, &len));
  ASSERT_STR_EQ(want, line);
  ASSERT_EQ(strlen(want), len);
}

static void *lines_main(void *arg) {
  static const char *const pieces[] = {"first li", "ne\nsec", "ond line\n", "no newline", NULL};
  char want[160];
  const char *line;
  weft_file *f;
  feeder fd;
  size_t len;
  int64_t pos;

  (void)arg;
  make_fifo();
  feed(&fd, pieces, 0.01);
  ASSERT_OK(weft_file_open(&f, fifo, "r"));
  expect_line(f, "first line\n");
  expect_line(f, "second line\n");
  expect_line(f, "no newline");
  ASSERT_EQ(WEFT_DONE, weft_file_next_line(f, &line, &len));
  /* No position on a stream. */
  ASSERT_EQ(-ESPIPE, weft_file_tell(f));
  ASSERT_EQ(-ESPIPE, weft_file_seek(f, 0, SEEK_SET, &pos));
  snprintf(want, sizeof want, "seek '%s': Illegal seek", fifo);
  ASSERT_STR_EQ(want, weft_fs_error());
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(pthread_join(fd.thread, NULL));
  remove_fifo();
  return NULL;
}

TEST_IMPL(fs_stream_fifo_lines) {
  ASSERT_OK(weft_test_run(lines_main, NULL, NULL));
  return 0;
}

/* A timeout while the pool waits for the writer: the call returns
 * -ETIMEDOUT once the request ends, and the next calls get every byte. */
static void *interrupted_main(void *arg) {
  static const char *const pieces[] = {"partial ", "line\nnext\n", "0123456789", NULL};
  char buf[32] = {0};
  weft_scope sc;
  weft_file *f;
  feeder fd;

  (void)arg;
  make_fifo();
  feed(&fd, pieces, 0.15);
  ASSERT_OK(weft_file_open(&f, fifo, "rb"));
  ASSERT_OK(weft_timeout_enter(&sc, 0.2)); /* "partial " came, not "\n" */
  ASSERT_EQ(-ETIMEDOUT, (int)weft_file_next_line(f, &(const char *){0}, &(size_t){0}));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  expect_line(f, "partial line\n");
  ASSERT_OK(weft_timeout_enter(&sc, 0.05)); /* "next\n" is there, 20 more are not */
  ASSERT_EQ(-ETIMEDOUT, weft_file_read(f, buf, 25));
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_EQ(15, weft_file_read(f, buf, sizeof buf - 1)); /* to EOF */
  ASSERT_STR_EQ("next\n0123456789", buf);
  ASSERT_EQ(0, weft_file_read(f, buf, sizeof buf));
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(pthread_join(fd.thread, NULL));
  remove_fifo();
  return NULL;
}

TEST_IMPL(fs_stream_interrupted_read_keeps_data) {
  ASSERT_OK(weft_test_run(interrupted_main, NULL, NULL));
  return 0;
}

/* A pipe opened by path (/proc/self/fd/N, as /dev/stdin is when stdin is a
 * pipe): read_all, read_lines; writing a FIFO in "w" mode; sendfile. */
static void *pipe_main(void *arg) {
  char path[64], *all, **lines;
  const char *text = "one\ntwo\nthree";
  int p[2], sv[2];
  weft_stream *s;
  weft_file *f, *w;
  size_t len, n;
  char buf[64];
  int r;

  (void)arg;
  ASSERT_OK(pipe(p));
  ASSERT_EQ((ssize_t)strlen(text), write(p[1], text, strlen(text)));
  close(p[1]);
  snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
  ASSERT_OK(weft_file_open(&f, path, "r"));
  ASSERT_OK(weft_file_read_lines(f, &lines, &n));
  ASSERT_EQ(3, n);
  ASSERT_STR_EQ("three", lines[2]);
  weft_fs_strings_free(lines, n);
  ASSERT_OK(weft_file_close(f));
  close(p[0]);
  /* "w" on a FIFO: plain write(2), read back whole. */
  make_fifo();
  r = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(r, 0);
  ASSERT_OK(weft_file_open(&w, fifo, "w"));
  ASSERT_EQ((ssize_t)strlen(text), weft_file_write(w, text, strlen(text)));
  ASSERT_OK(weft_file_flush(w));
  snprintf(path, sizeof path, "/proc/self/fd/%d", r);
  ASSERT_OK(weft_file_open(&f, path, "r")); /* while a writer is open */
  ASSERT_OK(weft_file_close(w));
  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  ASSERT_OK(weft_stream_open_fd(sv[0], &s));
  ASSERT_EQ(-ESPIPE, weft_file_sendfile(f, s, 0, 0, NULL)); /* needs offsets */
  weft_stream_free(s);
  close(sv[1]);
  ASSERT_OK(weft_file_read_all(f, &all, &len));
  ASSERT_EQ(strlen(text), len);
  ASSERT_STR_EQ(text, all);
  weft_free(all);
  ASSERT_EQ(0, weft_file_read(f, buf, sizeof buf));
  ASSERT_OK(weft_file_close(f));
  close(r);
  remove_fifo();
  return NULL;
}

TEST_IMPL(fs_stream_pipe_read_all_and_write) {
  ASSERT_OK(weft_test_run(pipe_main, NULL, NULL));
  return 0;
}

/* Three tasks read lines of one FIFO together: their calls take turns, so
 * every line comes out once and whole. */
#define SHARED_LINES 3000

static weft_file *shared;
static unsigned char seen[SHARED_LINES];

static void *line_reader(void *arg) {
  const char *line;
  size_t len;
  unsigned k;
  int rc;

  (void)arg;
  while ((rc = weft_file_next_line(shared, &line, &len)) == 0) {
    ASSERT_EQ(1, sscanf(line, "line %u of the shared FIFO\n", &k));
    ASSERT_LT(k, SHARED_LINES);
    ASSERT_EQ(strlen(line), len);
    seen[k]++;
  }
  ASSERT_EQ(WEFT_DONE, rc);
  return NULL;
}

static void *shared_feed_run(void *arg) {
  int w = open(fifo, O_WRONLY | O_CLOEXEC);
  char buf[64];

  (void)arg;
  ASSERT_GE(w, 0);
  for (unsigned i = 0; i < SHARED_LINES; i++) {
    int n = snprintf(buf, sizeof buf, "line %u of the shared FIFO\n", i);
    size_t cut = (size_t)(i % 7) * 4; /* pieces end mid-line */

    ASSERT_EQ((ssize_t)cut, write(w, buf, cut));
    if (i % 100 == 0)
      usleep(1000);
    ASSERT_EQ((ssize_t)(n - (int)cut), write(w, buf + cut, (size_t)n - cut));
  }
  close(w);
  return NULL;
}

static void *shared_main(void *arg) {
  weft_task *t[3];
  pthread_t feeder_thread;

  (void)arg;
  make_fifo();
  ASSERT_OK(pthread_create(&feeder_thread, NULL, shared_feed_run, NULL));
  ASSERT_OK(weft_file_open(&shared, fifo, "r"));
  for (int i = 0; i < 3; i++)
    ASSERT_OK(weft_spawn(&t[i], line_reader, NULL, NULL));
  for (int i = 0; i < 3; i++) {
    ASSERT_OK(weft_await(t[i], NULL));
    weft_task_release(t[i]);
  }
  ASSERT_OK(weft_file_close(shared));
  ASSERT_OK(pthread_join(feeder_thread, NULL));
  for (unsigned i = 0; i < SHARED_LINES; i++)
    ASSERT_EQ(1, seen[i]);
  remove_fifo();
  return NULL;
}

TEST_IMPL(fs_stream_shared_by_readers) {
  ASSERT_OK(weft_test_run(shared_main, NULL, NULL));
  return 0;
}

/* Readers waiting on idle FIFOs hold no pool thread: with more of them than
 * the pool has threads, file calls still run, and a timeout ends a wait at
 * once even though no writer will ever write. */
#define IDLE_READERS 6

static char idle_path[IDLE_READERS][128];

static void *idle_reader(void *arg) {
  weft_file *f = arg;
  char buf[16];

  return weft_fail((int)weft_file_read(f, buf, sizeof buf), "read");
}

static void *idle_main(void *arg) {
  weft_file *f[IDLE_READERS];
  weft_task *t[IDLE_READERS];
  int w[IDLE_READERS];
  weft_scope sc;
  weft_stat st;
  char buf[16];

  (void)arg;
  make_fifo();
  for (int i = 0; i < IDLE_READERS; i++) {
    snprintf(idle_path[i], sizeof idle_path[i], "%s/idle%d", dir, i);
    ASSERT_OK(mkfifo(idle_path[i], 0600));
    /* a writer that never writes, so that opening does not wait */
    w[i] = open(idle_path[i], O_RDWR | O_CLOEXEC);
    ASSERT_GE(w[i], 0);
    ASSERT_OK(weft_file_open(&f[i], idle_path[i], "rb"));
    ASSERT_OK(weft_spawn(&t[i], idle_reader, f[i], NULL));
  }
  ASSERT_OK(weft_sleep(0.05));
  ASSERT_OK(weft_fs_stat(dir, &st)); /* the pool is free */
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_file_read(f[0], buf, sizeof buf)); /* waits its turn */
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  for (int i = 0; i < IDLE_READERS; i++) {
    weft_task_cancel(t[i]);
    ASSERT_EQ(-ECANCELED, weft_await(t[i], NULL));
    weft_task_release(t[i]);
  }
  /* Data written now reaches the next read: nothing was consumed. */
  ASSERT_EQ(3, write(w[0], "hi\n", 3));
  ASSERT_EQ(3, weft_file_read(f[0], buf, 3));
  for (int i = 0; i < IDLE_READERS; i++) {
    ASSERT_OK(weft_file_close(f[i]));
    close(w[i]);
    ASSERT_OK(unlink(idle_path[i]));
  }
  remove_fifo();
  return NULL;
}

TEST_IMPL(fs_stream_idle_readers_hold_no_pool_thread) {
  ASSERT_OK(weft_test_run(idle_main, NULL, NULL));
  return 0;
}

/* A writer whose reader does not read: the flush waits for the pipe on the
 * loop (no pool thread held), a timeout ends that wait with what was
 * written counted once, and a reader gone gives -EPIPE, not SIGPIPE. */
typedef struct counted_drain {
  int fd;
  size_t got;
  char all[(1 << 20) + 200];
} counted_drain;

static void *counted_drain_run(void *arg) {
  counted_drain *d = arg;
  ssize_t n;

  while ((n = read(d->fd, d->all + d->got, sizeof d->all - d->got)) > 0)
    d->got += (size_t)n;
  return NULL;
}

/* all[from, from + n) is the pattern from its start. */
static void expect_pattern(const char *all, size_t from, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (all[from + i] != (char)('A' + i % 26))
      ASSERT_EQ((char)('A' + i % 26), all[from + i]);
}

static void *writer_main(void *arg) {
  static char data[1 << 20];
  static counted_drain d;
  pthread_t th;
  weft_scope sc;
  weft_stat st;
  weft_file *w;

  (void)arg;
  for (size_t i = 0; i < sizeof data; i++)
    data[i] = (char)('A' + i % 26);
  make_fifo();
  d.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(d.fd, 0);
  ASSERT_OK(weft_file_open(&w, fifo, "wb"));
  ASSERT_OK(fcntl(d.fd, F_SETFL, 0));
  ASSERT_OK(weft_timeout_enter(&sc, 0.05));
  ASSERT_EQ(-ETIMEDOUT, weft_file_write(w, data, sizeof data)); /* a direct write */
  ASSERT_EQ(-ETIMEDOUT, weft_timeout_leave(&sc));
  ASSERT_OK(weft_fs_stat(dir, &st)); /* the pool is free */
  ASSERT_OK(pthread_create(&th, NULL, counted_drain_run, &d));
  ASSERT_EQ(100, weft_file_write(w, data, 100)); /* buffered */
  ASSERT_OK(weft_file_flush(w));
  ASSERT_OK(weft_file_close(w));
  ASSERT_OK(pthread_join(th, NULL));
  /* the part of the timed-out write (once), then the 100 bytes */
  ASSERT_GT(d.got, 100);
  ASSERT_LT(d.got, sizeof data + 100);
  expect_pattern(d.all, 0, d.got - 100);
  expect_pattern(d.all, d.got - 100, 100);
  close(d.fd);
  /* No reader any more: -EPIPE. */
  d.fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_OK(weft_file_open(&w, fifo, "wb"));
  close(d.fd);
  ASSERT_EQ(5, weft_file_write(w, "hello", 5));
  ASSERT_EQ(-EPIPE, weft_file_flush(w));
  ASSERT_EQ(-EPIPE, weft_file_close(w));
  remove_fifo();
  return NULL;
}

TEST_IMPL(fs_stream_writer_waits_for_reader) {
  ASSERT_OK(weft_test_run(writer_main, NULL, NULL));
  return 0;
}
