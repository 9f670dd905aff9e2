/* aiofiles.os: stat, exists, remove, rename, mkdir (with parents), rmdir. */
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

void weft__fs_stat_fill(weft_stat *st, const uv_stat_t *s) {
  memset(st, 0, sizeof *st);
  st->size = s->st_size;
  st->mode = (uint32_t)s->st_mode;
  st->uid = (uint32_t)s->st_uid;
  st->gid = (uint32_t)s->st_gid;
  st->nlink = s->st_nlink;
  st->ino = s->st_ino;
  st->dev = s->st_dev;
  st->atime = (double)s->st_atim.tv_sec + s->st_atim.tv_nsec / 1e9;
  st->mtime = (double)s->st_mtim.tv_sec + s->st_mtim.tv_nsec / 1e9;
  st->ctime = (double)s->st_ctim.tv_sec + s->st_ctim.tv_nsec / 1e9;
  st->is_dir = S_ISDIR(s->st_mode);
  st->is_file = S_ISREG(s->st_mode);
  st->is_link = S_ISLNK(s->st_mode);
}

static int do_stat(const char *path, weft_stat *st, int follow, int record) {
  const char *op = follow ? "stat" : "lstat";
  weft__fs_req r;
  weft_loop *loop;
  int rc;

  if (!path || !st)
    return weft__fs_fail(-EINVAL, op, path);
  if ((rc = weft__fs_begin(&r, &loop)) != 0)
    return weft__fs_fail(rc, op, path);
  rc = weft__fs_wait(&r, follow ? uv_fs_stat(&loop->uv, &r.req, path, weft__fs_cb)
                                : uv_fs_lstat(&loop->uv, &r.req, path, weft__fs_cb));
  if (!rc && r.req.result < 0)
    rc = (int)r.req.result;
  if (!rc)
    weft__fs_stat_fill(st, &r.req.statbuf);
  uv_fs_req_cleanup(&r.req);
  return rc && record ? weft__fs_fail(rc, op, path) : rc;
}

int weft_fs_stat(const char *path, weft_stat *st) {
  return do_stat(path, st, 1, 1);
}

int weft_fs_lstat(const char *path, weft_stat *st) {
  return do_stat(path, st, 0, 1);
}

int weft_fs_exists(const char *path) {
  weft_stat st;
  int rc = do_stat(path, &st, 1, 0);

  if (rc == 0)
    return 1;
  if (rc == -ENOENT || rc == -ENOTDIR)
    return 0;
  return weft__fs_fail(rc, "stat", path);
}

/* Run a path request built by start(); returns its result or a code. */
typedef int (*path_fn)(uv_loop_t *, uv_fs_t *, const char *, const char *, int);

static int run_path(path_fn start, const char *op, const char *a, const char *b, int mode) {
  weft__fs_req r;
  weft_loop *loop;
  int rc;

  if (!a || (start && !b && mode < 0))
    return weft__fs_fail(-EINVAL, op, a);
  if ((rc = weft__fs_begin(&r, &loop)) != 0)
    return weft__fs_fail(rc, op, a);
  rc = (int)weft__fs_finish(&r, start(&loop->uv, &r.req, a, b, mode));
  if (rc < 0)
    return b ? weft__fs_fail2(rc, op, a, b) : weft__fs_fail(rc, op, a);
  return 0;
}

static int start_unlink(uv_loop_t *uv, uv_fs_t *req, const char *a, const char *b, int m) {
  WEFT__UNUSED(b);
  WEFT__UNUSED(m);
  return uv_fs_unlink(uv, req, a, weft__fs_cb);
}

static int start_rename(uv_loop_t *uv, uv_fs_t *req, const char *a, const char *b, int m) {
  WEFT__UNUSED(m);
  return uv_fs_rename(uv, req, a, b, weft__fs_cb);
}

static int start_mkdir(uv_loop_t *uv, uv_fs_t *req, const char *a, const char *b, int m) {
  WEFT__UNUSED(b);
  return uv_fs_mkdir(uv, req, a, m, weft__fs_cb);
}

static int start_rmdir(uv_loop_t *uv, uv_fs_t *req, const char *a, const char *b, int m) {
  WEFT__UNUSED(b);
  WEFT__UNUSED(m);
  return uv_fs_rmdir(uv, req, a, weft__fs_cb);
}

int weft_fs_remove(const char *path) {
  return run_path(start_unlink, "remove", path, NULL, 0);
}

int weft_fs_rename(const char *from, const char *to) {
  if (!from || !to)
    return weft__fs_fail2(-EINVAL, "rename", from, to);
  return run_path(start_rename, "rename", from, to, 0);
}

int weft_fs_rmdir(const char *path) {
  return run_path(start_rmdir, "rmdir", path, NULL, 0);
}

/* makedirs: create each missing component from the top down. */
static int mkdir_parents(const char *path, int mode) {
  char *p = weft_strdup(path);
  int rc = 0;

  if (!p)
    return weft__fs_fail(-ENOMEM, "mkdir", path);
  for (char *s = p + 1; !rc && *s; s++) {
    if (*s != '/' || s[-1] == '/')
      continue;
    *s = '\0';
    rc = run_path(start_mkdir, "mkdir", p, NULL, mode);
    if (rc == -EEXIST)
      rc = 0;
    *s = '/';
  }
  if (!rc && (rc = run_path(start_mkdir, "mkdir", p, NULL, mode)) == -EEXIST) {
    weft_stat st;

    rc = do_stat(p, &st, 1, 0) == 0 && st.is_dir ? 0 : weft__fs_fail(-EEXIST, "mkdir", path);
  }
  weft_free(p);
  return rc;
}

int weft_fs_mkdir(const char *path, int mode, int flags) {
  if (!path || (flags & ~WEFT_MKDIR_PARENTS))
    return weft__fs_fail(-EINVAL, "mkdir", path);
  if (flags & WEFT_MKDIR_PARENTS)
    return mkdir_parents(path, mode);
  return run_path(start_mkdir, "mkdir", path, NULL, mode);
}
