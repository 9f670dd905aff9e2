/*
 * Port of the seed's aiofiles examples: read a file whole
 * (`contents = await f.read()`), then line by line (`async for line in f`).
 * The program first writes its input, first.m3u8, into a temporary
 * directory, and removes both at the end.
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

static const char *const playlist[] = {
    "#EXTM3U\n",        "#EXT-X-VERSION:3\n", "#EXT-X-TARGETDURATION:10\n",
    "#EXTINF:10.0,\n",  "segment-000.ts\n",   "#EXTINF:10.0,\n",
    "segment-001.ts\n", "#EXT-X-ENDLIST", /* no newline at the end */
};
#define NLINES (sizeof playlist / sizeof playlist[0])

static int write_input(const char *path) {
  weft_file *f;
  int rc;

  if ((rc = weft_file_open(&f, path, "w")) != 0)
    return rc;
  rc = weft_file_write_lines(f, playlist, NLINES);
  int rc2 = weft_file_close(f);
  return rc ? rc : rc2;
}

/* async with aiofiles.open(path, mode='r') as f: print(await f.read()) */
static int read_whole(const char *path) {
  weft_file *f;
  char *contents;
  size_t len;
  int rc;

  if ((rc = weft_file_open(&f, path, "r")) != 0)
    return rc;
  if ((rc = weft_file_read_all(f, &contents, &len)) == 0) {
    printf("%s\n", contents);
    printf("-- read %zu bytes in one read()\n", len);
    weft_free(contents);
  }
  weft_file_close(f);
  return rc;
}

/* async for line in f: print(line) */
static int read_lines(const char *path) {
  const char *line;
  weft_file *f;
  size_t len, n = 0;
  int rc;

  if ((rc = weft_file_open(&f, path, "r")) != 0)
    return rc;
  while ((rc = weft_file_next_line(f, &line, &len)) == 0)
    printf("line %zu: %.*s\n", ++n, (int)(len && line[len - 1] == '\n' ? len - 1 : len), line);
  weft_file_close(f);
  printf("-- %zu lines\n", n);
  return rc == WEFT_DONE ? 0 : rc;
}

static void *main_task(void *arg) {
  char *dir, path[256];
  int rc;

  (void)arg;
  if ((rc = weft_fs_mkdtemp("/tmp/weft-read-file-XXXXXX", &dir)) != 0)
    return weft_fail(rc, "%s", weft_fs_error());
  snprintf(path, sizeof path, "%s/first.m3u8", dir);
  if ((rc = write_input(path)) == 0 && (rc = read_whole(path)) == 0)
    rc = read_lines(path);
  if (rc)
    fprintf(stderr, "error: %s\n", weft_fs_error());
  weft_fs_remove(path);
  weft_fs_rmdir(dir);
  weft_free(dir);
  return rc ? weft_fail(rc, "read_file failed") : NULL;
}

int main(void) {
  return weft_run(main_task, NULL, NULL) == 0 ? 0 : 1;
}
