/*
 * File benchmark: bulk write and read in 64 KiB chunks, and line
 * iteration, through weft files or plain blocking C (read/write, fgets).
 *
 *   weft-bench-fs write|read|lines weft|c PATH MIB
 *
 * write creates PATH with MIB MiB; read and lines read PATH (at most MIB
 * MiB for lines). Prints `RESULT <op> <MiB/s>`.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

#define CHUNK (64u * 1024u)

static const char *op, *impl, *path;
static size_t mib;
static double bytes_done;

static int weft_write(void) {
  static char chunk[CHUNK];
  weft_file *f;
  int rc;

  memset(chunk, 'w', sizeof chunk);
  if ((rc = weft_file_open(&f, path, "wb")) != 0)
    return rc;
  for (size_t i = 0; i < mib * 16 && rc == 0; i++)
    rc = weft_file_write(f, chunk, CHUNK) == CHUNK ? 0 : -EIO;
  bytes_done = (double)mib * 1048576.0;
  return rc ? rc : weft_file_close(f);
}

static int weft_read(void) {
  static char chunk[CHUNK];
  weft_file *f;
  ssize_t n;
  int rc;

  if ((rc = weft_file_open(&f, path, "rb")) != 0)
    return rc;
  while ((n = weft_file_read(f, chunk, CHUNK)) > 0)
    bytes_done += (double)n;
  weft_file_close(f);
  return n < 0 ? (int)n : 0;
}

static int weft_lines(void) {
  const char *line;
  size_t len, lines = 0;
  weft_file *f;
  int rc;

  if ((rc = weft_file_open(&f, path, "r")) != 0)
    return rc;
  while (bytes_done < (double)mib * 1048576.0 && (rc = weft_file_next_line(f, &line, &len)) == 0) {
    bytes_done += (double)len;
    lines++;
  }
  weft_file_close(f);
  return rc == WEFT_DONE ? 0 : rc;
}

static void *bench_main(void *arg) {
  int rc;

  (void)arg;
  if (strcmp(op, "write") == 0)
    rc = weft_write();
  else if (strcmp(op, "read") == 0)
    rc = weft_read();
  else
    rc = weft_lines();
  return rc ? weft_fail(rc, "%s", weft_fs_error()) : NULL;
}

static int c_write(void) {
  static char chunk[CHUNK];
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

  memset(chunk, 'w', sizeof chunk);
  if (fd < 0)
    return -1;
  for (size_t i = 0; i < mib * 16; i++)
    if (write(fd, chunk, CHUNK) != CHUNK)
      return -1;
  bytes_done = (double)mib * 1048576.0;
  return close(fd);
}

static int c_read(void) {
  static char chunk[CHUNK];
  int fd = open(path, O_RDONLY);
  ssize_t n;

  if (fd < 0)
    return -1;
  while ((n = read(fd, chunk, CHUNK)) > 0)
    bytes_done += (double)n;
  close(fd);
  return n < 0 ? -1 : 0;
}

static int c_lines(void) {
  static char line[1 << 16];
  FILE *fp = fopen(path, "r");

  if (!fp)
    return -1;
  while (bytes_done < (double)mib * 1048576.0 && fgets(line, sizeof line, fp))
    bytes_done += (double)strlen(line);
  fclose(fp);
  return 0;
}

int main(int argc, char **argv) {
  double start;
  int rc;

  if (argc != 5) {
    fprintf(stderr, "usage: %s write|read|lines weft|c PATH MIB\n", argv[0]);
    return 2;
  }
  op = argv[1];
  impl = argv[2];
  path = argv[3];
  mib = strtoul(argv[4], NULL, 10);
  start = weft_time();
  if (strcmp(impl, "weft") == 0)
    rc = weft_run(bench_main, NULL, NULL);
  else if (strcmp(op, "write") == 0)
    rc = c_write();
  else if (strcmp(op, "read") == 0)
    rc = c_read();
  else
    rc = c_lines();
  if (rc) {
    fprintf(stderr, "failed: %d\n", rc);
    return 1;
  }
  printf("RESULT %s %.1f MiB/s\n", op, bytes_done / 1048576.0 / (weft_time() - start));
  return 0;
}
