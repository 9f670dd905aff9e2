/*
 * Async files: every mode, reads, writes, lines, seek/tell/truncate,
 * buffering and flush.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test.h"

static char dir[64];

/* A fresh temporary directory for the test, removed by the caller. */
static void make_dir(void) {
  char *p;

  ASSERT_OK(weft_fs_mkdtemp("/tmp/weft-fs-XXXXXX", &p));
  snprintf(dir, sizeof dir, "%s", p);
  weft_free(p);
}

static const char *in_dir(char *buf, size_t n, const char *name) {
  snprintf(buf, n, "%s/%s", dir, name);
  return buf;
}

static void remove_dir(void) {
  char cmd[128];

  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  ASSERT_OK(system(cmd));
}

/* The whole content of path, read with plain stdio (for checking). */
static char *slurp(const char *path, size_t *len) {
  FILE *fp = fopen(path, "rb");
  static char buf[1 << 16];

  ASSERT_NOT_NULL(fp);
  *len = fread(buf, 1, sizeof buf - 1, fp);
  buf[*len] = '\0';
  fclose(fp);
  return buf;
}

static void put(const char *path, const char *s) {
  FILE *fp = fopen(path, "wb");

  ASSERT_NOT_NULL(fp);
  ASSERT_EQ(strlen(s), fwrite(s, 1, strlen(s), fp));
  fclose(fp);
}

static void *modes_main(void *arg) {
  char p[128], buf[64];
  weft_file *f;
  size_t len;

  (void)arg;
  make_dir();
  in_dir(p, sizeof p, "m.txt");
  /* w creates and truncates, x refuses an existing file */
  ASSERT_OK(weft_file_open(&f, p, "w"));
  ASSERT_EQ(5, weft_file_write(f, "hello", 5));
  ASSERT_OK(weft_file_close(f));
  ASSERT_STR_EQ("hello", slurp(p, &len));
  ASSERT_EQ(-EEXIST, weft_file_open(&f, p, "x"));
  ASSERT_NOT_NULL(strstr(weft_fs_error(), "File exists"));
  ASSERT_NOT_NULL(strstr(weft_fs_error(), p));
  /* a appends */
  ASSERT_OK(weft_file_open(&f, p, "ab"));
  ASSERT_EQ(5, weft_file_tell(f));
  ASSERT_EQ(6, weft_file_write(f, " world", 6));
  ASSERT_EQ(11, weft_file_tell(f));
  ASSERT_EQ(-EBADF, weft_file_read(f, buf, 1)); /* not readable */
  ASSERT_OK(weft_file_close(f));
  ASSERT_STR_EQ("hello world", slurp(p, &len));
  /* r reads, cannot write */
  ASSERT_OK(weft_file_open(&f, p, "rb"));
  ASSERT_EQ(-EBADF, weft_file_write(f, "x", 1));
  ASSERT_EQ(-EBADF, weft_file_truncate(f, 0));
  ASSERT_EQ(5, weft_file_read(f, buf, 5));
  ASSERT_OK(memcmp(buf, "hello", 5));
  ASSERT_OK(weft_file_close(f));
  /* r+ reads and writes in place, does not truncate */
  ASSERT_OK(weft_file_open(&f, p, "r+"));
  ASSERT_EQ(5, weft_file_read(f, buf, 5));
  ASSERT_EQ(1, weft_file_write(f, "_", 1));
  ASSERT_EQ(5, weft_file_read(f, buf, 10));
  ASSERT_OK(memcmp(buf, "world", 5));
  ASSERT_OK(weft_file_close(f));
  ASSERT_STR_EQ("hello_world", slurp(p, &len));
  /* w+ truncates and reads back */
  ASSERT_OK(weft_file_open(&f, p, "w+t"));
  ASSERT_EQ(0, weft_file_read(f, buf, 10));
  ASSERT_EQ(3, weft_file_write(f, "abc", 3));
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  ASSERT_EQ(3, weft_file_read(f, buf, 10));
  ASSERT_OK(memcmp(buf, "abc", 3));
  ASSERT_OK(weft_file_close(f));
  /* a+ writes at the end even after a seek, and reads from anywhere */
  ASSERT_OK(weft_file_open(&f, p, "a+"));
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  ASSERT_EQ(1, weft_file_read(f, buf, 1));
  ASSERT_EQ('a', buf[0]);
  ASSERT_EQ(3, weft_file_write(f, "def", 3));
  ASSERT_OK(weft_file_flush(f));
  ASSERT_EQ(6, weft_file_tell(f));
  ASSERT_OK(weft_file_close(f));
  ASSERT_STR_EQ("abcdef", slurp(p, &len));
  /* x creates a new file; x+ reads it back */
  in_dir(p, sizeof p, "new.bin");
  ASSERT_OK(weft_file_open(&f, p, "x+b"));
  ASSERT_EQ(2, weft_file_write(f, "hi", 2));
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  ASSERT_EQ(2, weft_file_read(f, buf, 2));
  ASSERT_OK(weft_file_close(f));
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_open_modes) {
  ASSERT_OK(weft_test_run(modes_main, NULL, NULL));
  return 0;
}

static void *bad_mode_main(void *arg) {
  static const char *bad[] = {"", "q", "rw", "r++", "rbb", "bt", "wx", "r+b+", "rb t", "+r"};
  weft_file *f = NULL;

  (void)arg;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ASSERT_EQ(-EINVAL, weft_file_open(&f, "/tmp/x", bad[i]));
  ASSERT_EQ(-EINVAL, weft_file_open(&f, "/tmp/x", NULL));
  ASSERT_EQ(-EINVAL, weft_file_open(&f, NULL, "r"));
  ASSERT_EQ(-EINVAL, weft_file_open(NULL, "/tmp/x", "r"));
  ASSERT_NULL(f);
  ASSERT_EQ(-EINVAL, weft_file_close(NULL));
  ASSERT_EQ(-EBADF, weft_file_tell(NULL));
  ASSERT_EQ(-EBADF, weft_file_fd(NULL));
  return NULL;
}

TEST_IMPL(fs_bad_mode) {
  weft_file *f;

  ASSERT_OK(weft_test_run(bad_mode_main, NULL, NULL));
  ASSERT_EQ(-EPERM, weft_file_open(&f, "/tmp/x", "r"));
  return 0;
}

static void *rw_main(void *arg) {
  char p[128], buf[100];
  weft_file *f;
  char *all;
  size_t len;
  int64_t pos;

  (void)arg;
  make_dir();
  in_dir(p, sizeof p, "rw");
  put(p, "0123456789");
  ASSERT_OK(weft_file_open(&f, p, "r+"));
  ASSERT_EQ(3, weft_file_read(f, buf, 3));
  ASSERT_EQ(3, weft_file_tell(f));
  ASSERT_OK(weft_file_read_all(f, &all, &len));
  ASSERT_EQ(7, len);
  ASSERT_STR_EQ("3456789", all);
  weft_free(all);
  ASSERT_OK(weft_file_read_all(f, &all, &len)); /* at EOF: empty */
  ASSERT_EQ(0, len);
  ASSERT_STR_EQ("", all);
  weft_free(all);
  ASSERT_EQ(0, weft_file_read(f, buf, 5));
  ASSERT_OK(weft_file_seek(f, -4, SEEK_END, &pos));
  ASSERT_EQ(6, pos);
  ASSERT_OK(weft_file_seek(f, 1, SEEK_CUR, &pos));
  ASSERT_EQ(7, pos);
  ASSERT_EQ(3, weft_file_read(f, buf, 100));
  ASSERT_OK(memcmp(buf, "789", 3));
  ASSERT_EQ(-EINVAL, weft_file_seek(f, -1, SEEK_SET, NULL));
  ASSERT_EQ(-EINVAL, weft_file_seek(f, 0, 42, NULL));
  /* truncate keeps the position, drops the tail */
  ASSERT_OK(weft_file_seek(f, 2, SEEK_SET, NULL));
  ASSERT_OK(weft_file_truncate(f, 5));
  ASSERT_EQ(2, weft_file_tell(f));
  ASSERT_OK(weft_file_truncate(f, -1)); /* at the position */
  ASSERT_OK(weft_file_read_all(f, &all, &len));
  ASSERT_EQ(0, len);
  weft_free(all);
  ASSERT_OK(weft_file_truncate(f, 8)); /* extends with zeros */
  ASSERT_OK(weft_file_close(f));
  all = slurp(p, &len);
  ASSERT_EQ(8, len);
  ASSERT_OK(memcmp(all, "01\0\0\0\0\0\0", 8));
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_read_seek_tell_truncate) {
  ASSERT_OK(weft_test_run(rw_main, NULL, NULL));
  return 0;
}

/* Small writes stay buffered until flush (or close), as Python's. */
static void *flush_main(void *arg) {
  char p[128];
  const char *lines[] = {"one\n", "two\n", "three"};
  weft_file *f;
  size_t len;

  (void)arg;
  make_dir();
  in_dir(p, sizeof p, "flush");
  ASSERT_OK(weft_file_open(&f, p, "w"));
  ASSERT_EQ(3, weft_file_write(f, "abc", 3));
  slurp(p, &len);
  ASSERT_EQ(0, len); /* still in the buffer */
  ASSERT_EQ(3, weft_file_tell(f));
  ASSERT_OK(weft_file_flush(f));
  ASSERT_STR_EQ("abc", slurp(p, &len));
  ASSERT_OK(weft_file_write_lines(f, lines, 3));
  ASSERT_OK(weft_file_write_lines(f, lines, 0));
  ASSERT_EQ(0, weft_file_write(f, "", 0));
  ASSERT_EQ(16, weft_file_tell(f));
  ASSERT_OK(weft_file_close(f));
  ASSERT_STR_EQ("abcone\ntwo\nthree", slurp(p, &len));
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_write_buffering_and_flush) {
  ASSERT_OK(weft_test_run(flush_main, NULL, NULL));
  return 0;
}

/* Write a few MiB with writes of odd sizes (some above the buffer size),
 * read them back with reads of other odd sizes. */
static unsigned char pattern(size_t i) {
  return (unsigned char)(i * 131u + (i >> 9));
}

static void *large_main(void *arg) {
  const size_t total = 5u * 1024 * 1024 + 77;
  const size_t wsizes[] = {1, 4093, WEFT_FILE_BUFFER, 3 * WEFT_FILE_BUFFER + 5, 17, 65536};
  const size_t rsizes[] = {7, 65536, WEFT_FILE_BUFFER + 3, 1, 999999};
  unsigned char *data = malloc(total), *back = malloc(total);
  size_t off = 0, k = 0;
  char p[128];
  weft_file *f;
  weft_stat st;

  (void)arg;
  for (size_t i = 0; i < total; i++)
    data[i] = pattern(i);
  make_dir();
  in_dir(p, sizeof p, "large");
  ASSERT_OK(weft_file_open(&f, p, "wb"));
  for (; off < total; k++) {
    size_t n = wsizes[k % 6] < total - off ? wsizes[k % 6] : total - off;

    ASSERT_EQ((ssize_t)n, weft_file_write(f, data + off, n));
    off += n;
  }
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(weft_fs_stat(p, &st));
  ASSERT_EQ(total, st.size);
  ASSERT_OK(weft_file_open(&f, p, "rb"));
  for (off = 0, k = 0; off < total; k++) {
    ssize_t got = weft_file_read(f, back + off, rsizes[k % 5]);

    ASSERT_GT(got, 0);
    off += (size_t)got;
  }
  ASSERT_EQ(0, weft_file_read(f, back, 10));
  ASSERT_OK(weft_file_close(f));
  ASSERT_OK(memcmp(data, back, total));
  free(data);
  free(back);
  remove_dir();
  return NULL;
}

TEST_IMPL(fs_large_file_round_trip) {
  ASSERT_OK(weft_test_run(large_main, NULL, NULL));
  return 0;
}
