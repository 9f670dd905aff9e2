/*
 * Lines: read_line, next_line (async for), read_lines, with long lines,
 * empty lines and no trailing newline.
 */
#include "test.h"

static char path[64];

static void write_file(const char *data, size_t n) {
  FILE *fp;
  int fd;

  snprintf(path, sizeof path, "/tmp/weft-lines-XXXXXX");
  fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  fp = fdopen(fd, "wb");
  ASSERT_EQ(n, fwrite(data, 1, n, fp));
  fclose(fp);
}

static void *basic_main(void *arg) {
  const char *line;
  char **lines;
  size_t len, n;
  weft_file *f;

  (void)arg;
  write_file("alpha\n\nbeta\r\ngamma", 19);
  ASSERT_OK(weft_file_open(&f, path, "r"));
  ASSERT_OK(weft_file_read_line(f, &line, &len));
  ASSERT_STR_EQ("alpha\n", line);
  ASSERT_EQ(6, len);
  ASSERT_OK(weft_file_read_line(f, &line, &len));
  ASSERT_STR_EQ("\n", line);
  ASSERT_OK(weft_file_read_line(f, &line, &len));
  ASSERT_STR_EQ("beta\r\n", line); /* bytes: no newline translation */
  ASSERT_EQ(13, weft_file_tell(f));
  ASSERT_OK(weft_file_read_line(f, &line, &len));
  ASSERT_STR_EQ("gamma", line); /* no trailing newline */
  ASSERT_OK(weft_file_read_line(f, &line, &len));
  ASSERT_EQ(0, len); /* EOF */
  ASSERT_STR_EQ("", line);
  ASSERT_EQ(WEFT_DONE, weft_file_next_line(f, &line, &len));
  /* readlines from the start */
  ASSERT_OK(weft_file_seek(f, 0, SEEK_SET, NULL));
  ASSERT_OK(weft_file_read_lines(f, &lines, &n));
  ASSERT_EQ(4, n);
  ASSERT_STR_EQ("alpha\n", lines[0]);
  ASSERT_STR_EQ("gamma", lines[3]);
  weft_fs_strings_free(lines, n);
  ASSERT_OK(weft_file_read_lines(f, &lines, &n)); /* at EOF: none */
  ASSERT_EQ(0, n);
  weft_fs_strings_free(lines, n);
  ASSERT_OK(weft_file_close(f));
  remove(path);
  return NULL;
}

TEST_IMPL(fs_lines_basic) {
  ASSERT_OK(weft_test_run(basic_main, NULL, NULL));
  return 0;
}

/* Lines far longer than the buffer, among short ones, iterated with
 * next_line; the last one has no newline. Mixed with read(n). */
static void *long_main(void *arg) {
  const size_t big = 3 * WEFT_FILE_BUFFER + 123;
  size_t total = 0, count = 0, len;
  char *data = malloc(2 * big + 16), buf[4];
  const char *line;
  weft_file *f;
  int rc;

  (void)arg;
  memset(data, 'x', big);
  data[big] = '\n';
  memcpy(data + big + 1, "ab\n", 3);
  memset(data + big + 4, 'y', big);
  write_file(data, 2 * big + 4);
  ASSERT_OK(weft_file_open(&f, path, "rb"));
  while ((rc = weft_file_next_line(f, &line, &len)) == 0) {
    ASSERT_EQ(strlen(line), len);
    if (count == 0)
      ASSERT_EQ(big + 1, len);
    if (count == 1)
      ASSERT_STR_EQ("ab\n", line);
    if (count == 2) {
      ASSERT_EQ(big, len);
      ASSERT_EQ('y', line[len - 1]);
    }
    total += len;
    count++;
  }
  ASSERT_EQ(WEFT_DONE, rc);
  ASSERT_EQ(3, count);
  ASSERT_EQ(2 * big + 4, total);
  /* read_line then read(n) continue where the line ended */
  ASSERT_OK(weft_file_seek(f, (int64_t)big - 2, SEEK_SET, NULL));
  ASSERT_OK(weft_file_read_line(f, &line, &len));
  ASSERT_STR_EQ("xx\n", line);
  ASSERT_EQ(3, weft_file_read(f, buf, 3));
  ASSERT_OK(memcmp(buf, "ab\n", 3));
  ASSERT_OK(weft_file_close(f));
  free(data);
  remove(path);
  return NULL;
}

TEST_IMPL(fs_lines_long_and_no_trailing_newline) {
  ASSERT_OK(weft_test_run(long_main, NULL, NULL));
  return 0;
}

/* Many short lines across buffer boundaries: every line intact. */
static void *many_main(void *arg) {
  const int n = 200000;
  size_t cap = (size_t)n * 12, off = 0, len;
  char *data = malloc(cap), want[32];
  const char *line;
  weft_file *f;
  int i = 0, rc;

  (void)arg;
  for (int k = 0; k < n; k++)
    off += (size_t)sprintf(data + off, "line %d\n", k);
  write_file(data, off);
  ASSERT_OK(weft_file_open(&f, path, "r"));
  while ((rc = weft_file_next_line(f, &line, &len)) == 0) {
    snprintf(want, sizeof want, "line %d\n", i++);
    ASSERT_STR_EQ(want, line);
  }
  ASSERT_EQ(WEFT_DONE, rc);
  ASSERT_EQ(n, i);
  ASSERT_OK(weft_file_close(f));
  free(data);
  remove(path);
  return NULL;
}

TEST_IMPL(fs_lines_many_across_buffers) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}
