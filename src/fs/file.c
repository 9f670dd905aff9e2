/*
 * File objects: open, close, position (seek, tell) and truncate. The
 * buffers are allocated with the object; reads and writes use explicit
 * offsets from raw_pos (append-mode writes and streams excepted, see
 * write.c).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"
#include "net/uvstream.h"

int weft__fs_mode(const char *mode, int *oflags, int *fflags) {
  static const struct {
    char c;
    int oflags, fflags;
  } kinds[] = {
      {'r', 0, WEFT__F_READ},
      {'w', O_CREAT | O_TRUNC, WEFT__F_WRITE},
      {'a', O_CREAT | O_APPEND, WEFT__F_WRITE | WEFT__F_APPEND},
      {'x', O_CREAT | O_EXCL, WEFT__F_WRITE},
  };
  int plus = 0, bt = 0;
  size_t k;

  if (!mode)
    return -EINVAL;
  for (k = 0; k < sizeof kinds / sizeof kinds[0] && kinds[k].c != mode[0]; k++)
    ;
  if (k == sizeof kinds / sizeof kinds[0])
    return -EINVAL;
  for (const char *p = mode + 1; *p; p++) {
    if (*p == '+' && !plus++)
      continue;
    if ((*p == 'b' || *p == 't') && !bt++)
      continue;
    return -EINVAL;
  }
  *fflags = kinds[k].fflags | (plus ? WEFT__F_READ | WEFT__F_WRITE : 0);
  *oflags = kinds[k].oflags | O_CLOEXEC;
  if ((*fflags & (WEFT__F_READ | WEFT__F_WRITE)) == (WEFT__F_READ | WEFT__F_WRITE))
    *oflags |= O_RDWR;
  else
    *oflags |= (*fflags & WEFT__F_WRITE) ? O_WRONLY : O_RDONLY;
  return 0;
}

static weft_file *file_new(const char *path, int fflags) {
  weft_file *f = weft_calloc(1, sizeof *f);

  if (!f)
    return NULL;
  f->fd = -1;
  f->flags = fflags;
  weft__list_init(&f->turns);
  f->rcap = WEFT_FILE_BUFFER;
  f->path = weft_strdup(path);
  f->rbuf = weft_malloc(f->rcap);
  if (!f->path || !f->rbuf || ((fflags & WEFT__F_WRITE) && weft__file_behind_new(f) != 0)) {
    weft_free(f->path);
    weft_free(f->rbuf);
    weft_free(f);
    return NULL;
  }
  return f;
}

static void file_free(weft_file *f) {
  weft__stream_poll_close(f);
  weft__file_behind_release(f);
  weft_free(f->path);
  weft_free(f->rbuf);
  weft_free(f->line);
  weft_free(f);
}

/* close(2) on the pool, shielded: the descriptor is always released. */
static int fd_close(uv_file fd) {
  weft__fs_req r;
  weft_scope shield;
  weft_loop *loop;
  int rc;

  weft_shield_enter(&shield);
  rc = weft__fs_begin(&r, &loop);
  if (rc == 0)
    rc = (int)weft__fs_finish(&r, uv_fs_close(&loop->uv, &r.req, fd, weft__fs_cb));
  else
    close(fd);
  weft_shield_leave(&shield);
  return rc;
}

int weft__file_size(weft_file *f, int64_t *size) {
  weft__fs_req r;
  weft_loop *loop;
  int rc = weft__fs_begin(&r, &loop);

  if (rc)
    return rc;
  rc = weft__fs_wait(&r, uv_fs_fstat(&loop->uv, &r.req, f->fd, weft__fs_cb));
  if (!rc && r.req.result < 0)
    rc = (int)r.req.result;
  if (!rc) {
    *size = (int64_t)r.req.statbuf.st_size;
    if (S_ISDIR(r.req.statbuf.st_mode))
      rc = -EISDIR;
  }
  uv_fs_req_cleanup(&r.req);
  return rc;
}

/* Open fd for f; a directory is refused as Python does. */
static int file_open_fd(weft_file *f, int oflags) {
  weft__fs_req r;
  weft_loop *loop;
  int64_t size;
  int64_t rc = weft__fs_begin(&r, &loop);

  if (rc)
    return (int)rc;
  rc = weft__fs_finish(&r, uv_fs_open(&loop->uv, &r.req, f->path, oflags, 0666, weft__fs_cb));
  if (rc < 0 && r.req.result >= 0 && rc != r.req.result)
    close((int)r.req.result); /* interrupted after the open succeeded */
  if (rc < 0)
    return (int)rc;
  f->fd = (uv_file)rc;
  if ((rc = weft__file_size(f, &size)) != 0) {
    fd_close(f->fd);
    f->fd = -1;
    return (int)rc;
  }
  f->raw_pos = (f->flags & WEFT__F_APPEND) ? size : 0;
  if (lseek(f->fd, 0, SEEK_CUR) < 0 && errno == ESPIPE) {
    f->flags |= WEFT__F_STREAM | WEFT__F_NO_INLINE; /* a pipe, socket, terminal */
    weft__net_ignore_sigpipe();                     /* a pipe without a reader: -EPIPE */
  }
  return 0;
}

int weft_file_open(weft_file **out, const char *path, const char *mode) {
  int oflags, fflags, rc;
  weft_file *f;

  if (!out || !path || weft__fs_mode(mode, &oflags, &fflags))
    return weft__fs_fail(-EINVAL, "open", path);
  if (!weft__current())
    return weft__fs_fail(-EPERM, "open", path);
  if (!(f = file_new(path, fflags)))
    return weft__fs_fail(-ENOMEM, "open", path);
  if ((rc = file_open_fd(f, oflags)) != 0) {
    file_free(f);
    return weft__fs_fail(rc, "open", path);
  }
  *out = f;
  return 0;
}

int weft_file_close(weft_file *f) {
  weft_scope shield;
  int rc = 0, rc2, locked;

  if (!f)
    return -EINVAL;
  if (f->fd < 0) {
    file_free(f);
    return 0;
  }
  weft_shield_enter(&shield);                 /* waits for the others' calls, uninterrupted */
  locked = weft__file_enter(f, "close") == 0; /* -EPERM outside a task */
  if (weft__file_unflushed(f))
    rc = weft__file_flush(f);
  weft__stream_poll_close(f); /* before the descriptor goes */
  rc2 = weft__file_behind_release(f) ? 0 : fd_close(f->fd);
  if (locked)
    weft__file_leave(f);
  weft_shield_leave(&shield);
  if (!rc && rc2)
    rc = weft__fs_fail(rc2, "close", f->path);
  file_free(f);
  return rc;
}

int weft_file_fd(const weft_file *f) {
  return f && f->fd >= 0 ? f->fd : -EBADF;
}

const char *weft_file_path(const weft_file *f) {
  return f ? f->path : NULL;
}

int64_t weft_file_tell(weft_file *f) {
  if (!f || f->fd < 0)
    return -EBADF;
  if (f->flags & WEFT__F_STREAM)
    return -ESPIPE;
  return f->raw_pos - (int64_t)(f->rlen - f->rpos) + (int64_t)f->wlen;
}

void weft__file_drop_read(weft_file *f) {
  if (f->flags & WEFT__F_STREAM)
    return; /* what was read stays: reads and writes are separate */
  f->raw_pos -= (int64_t)(f->rlen - f->rpos);
  f->rpos = f->rlen = 0;
}

static int seek_target(weft_file *f, int64_t offset, int whence, int64_t *to) {
  int64_t base;
  int rc;

  if (whence == SEEK_SET)
    base = 0;
  else if (whence == SEEK_CUR)
    base = weft_file_tell(f);
  else if (whence == SEEK_END) {
    if ((rc = weft__file_size(f, &base)) != 0)
      return rc;
  } else
    return -EINVAL;
  if ((offset > 0 && base > INT64_MAX - offset) || base + offset < 0)
    return -EINVAL;
  *to = base + offset;
  return 0;
}

static int seek_locked(weft_file *f, int64_t offset, int whence, int64_t *pos) {
  int64_t to;
  int rc;

  if (f->fd < 0)
    return weft__fs_fail(-EBADF, "seek", f->path);
  if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
    return weft__fs_fail(-EINVAL, "seek", f->path);
  if (f->flags & WEFT__F_STREAM)
    return weft__fs_fail(-ESPIPE, "seek", f->path);
  if (weft__file_unflushed(f) && (rc = weft__file_flush(f)) != 0)
    return rc;
  if ((rc = seek_target(f, offset, whence, &to)) != 0)
    return weft__fs_fail(rc, "seek", f->path);
  weft__file_drop_read(f);
  f->raw_pos = to;
  if (pos)
    *pos = to;
  return 0;
}

int weft_file_seek(weft_file *f, int64_t offset, int whence, int64_t *pos) {
  int rc = weft__file_enter(f, "seek");

  if (rc)
    return rc;
  rc = seek_locked(f, offset, whence, pos);
  weft__file_leave(f);
  return rc;
}

static int truncate_locked(weft_file *f, int64_t size) {
  weft__fs_req r;
  weft_loop *loop;
  int64_t rc;

  if (f->fd < 0 || !(f->flags & WEFT__F_WRITE))
    return weft__fs_fail(-EBADF, "truncate", f->path);
  if (weft__file_unflushed(f) && (rc = weft__file_flush(f)) != 0)
    return (int)rc;
  if (size < 0)
    size = weft_file_tell(f);
  if ((rc = weft__fs_begin(&r, &loop)) == 0)
    rc = weft__fs_finish(&r, uv_fs_ftruncate(&loop->uv, &r.req, f->fd, size, weft__fs_cb));
  if (rc < 0)
    return weft__fs_fail((int)rc, "truncate", f->path);
  weft__file_drop_read(f); /* the buffered bytes may be gone */
  return 0;
}

int weft_file_truncate(weft_file *f, int64_t size) {
  int rc = weft__file_enter(f, "truncate");

  if (rc)
    return rc;
  rc = truncate_locked(f, size);
  weft__file_leave(f);
  return rc;
}
