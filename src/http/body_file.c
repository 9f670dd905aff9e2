/*
 * data_file bodies: the file is opened lazily in the requesting task (the
 * first time the engine pumps the source), read with weft_file_read on
 * the thread pool, and closed at its end; a rewind (307/308 redirect)
 * reads it again from the start.
 */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "http/body_file.h"
#include "weft/fs.h"

struct weft__http_file_src {
  char *path;
  weft_file *f;
  int rewind;
};

static int file_open(struct weft__http_file_src *fs) {
  int rc = weft_file_open(&fs->f, fs->path, "rb");

  if (rc < 0) {
    fs->f = NULL;
    return weft__http_fail(rc, "%s", weft_fs_error());
  }
  fs->rewind = 0;
  return 0;
}

static int file_read(void *arg, void *buf, size_t cap, size_t *len) {
  struct weft__http_file_src *fs = arg;
  ssize_t n;
  int rc = 0;

  *len = 0;
  if (!fs->f)
    rc = file_open(fs);
  else if (fs->rewind)
    rc = weft_file_seek(fs->f, 0, SEEK_SET, NULL);
  if (rc < 0)
    return fs->f ? weft__http_fail(rc, "%s", weft_fs_error()) : rc;
  fs->rewind = 0;
  n = weft_file_read(fs->f, buf, cap);
  if (n < 0)
    return weft__http_fail((int)n, "%s", weft_fs_error());
  *len = (size_t)n;
  if (n == 0) {
    weft_file_close(fs->f);
    fs->f = NULL;
  }
  return 0;
}

int weft__http_file_src_new(weft__http_body *b, const char *path) {
  struct weft__http_file_src *fs;
  struct stat st;

  if (stat(path, &st) < 0 || access(path, R_OK) < 0)
    return weft__http_fail(-errno, "open '%s': %s", path, strerror(errno));
  if (S_ISDIR(st.st_mode))
    return weft__http_fail(-EISDIR, "open '%s': %s", path, strerror(EISDIR));
  fs = weft_calloc(1, sizeof *fs);
  if (!fs || !(fs->path = weft_strdup(path))) {
    weft_free(fs);
    return weft__http_fail(-ENOMEM, NULL);
  }
  b->file = fs;
  b->source = file_read;
  b->source_arg = fs;
  /* Not a regular file (a pipe, /dev/stdin): its size is unknown. */
  b->source_len = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
  return 0;
}

int weft__http_file_src_rewind(struct weft__http_file_src *fs) {
  fs->rewind = 1;
  return 0;
}

void weft__http_file_src_free(struct weft__http_file_src *fs) {
  if (!fs)
    return;
  if (fs->f)
    weft_file_close(fs->f);
  weft_free(fs->path);
  weft_free(fs);
}
