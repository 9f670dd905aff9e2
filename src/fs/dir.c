/* aiofiles.os: listdir and scandir (uv_fs_scandir on the pool). */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static weft_dirent_type dirent_type(uv_dirent_type_t t) {
  switch (t) {
  case UV_DIRENT_FILE:
    return WEFT_DIRENT_FILE;
  case UV_DIRENT_DIR:
    return WEFT_DIRENT_DIR;
  case UV_DIRENT_LINK:
    return WEFT_DIRENT_LINK;
  case UV_DIRENT_UNKNOWN:
    return WEFT_DIRENT_UNKNOWN;
  default:
    return WEFT_DIRENT_OTHER;
  }
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const weft_dirent *)a)->name, ((const weft_dirent *)b)->name);
}

void weft_fs_dirents_free(weft_dirent *entries, size_t n) {
  if (!entries)
    return;
  for (size_t i = 0; i < n; i++)
    weft_free(entries[i].name);
  weft_free(entries);
}

/* Copy the request's entries into a sorted array. */
static int collect(uv_fs_t *req, size_t count, weft_dirent **out, size_t *n) {
  weft_dirent *v = weft_calloc(count ? count : 1, sizeof *v);
  uv_dirent_t ent;
  size_t i = 0;

  /* Iterate to UV_EOF even after a failure: libuv frees its last entry
   * and its array only then. */
  while (uv_fs_scandir_next(req, &ent) == 0) {
    if (i == count || !v || !(v[i].name = weft_strdup(ent.name))) {
      weft_fs_dirents_free(v, i);
      v = NULL;
      continue;
    }
    v[i++].type = dirent_type(ent.type);
  }
  if (!v)
    return -ENOMEM;
  qsort(v, i, sizeof *v, by_name);
  *out = v;
  *n = i;
  return 0;
}

int weft_fs_scandir(const char *path, weft_dirent **entries, size_t *n) {
  weft__fs_req r;
  weft_loop *loop;
  int rc;

  if (!path || !entries || !n)
    return weft__fs_fail(-EINVAL, "scandir", path);
  if ((rc = weft__fs_begin(&r, &loop)) != 0)
    return weft__fs_fail(rc, "scandir", path);
  rc = weft__fs_wait(&r, uv_fs_scandir(&loop->uv, &r.req, path, 0, weft__fs_cb));
  if (!rc && r.req.result < 0)
    rc = (int)r.req.result;
  if (!rc)
    rc = collect(&r.req, (size_t)r.req.result, entries, n);
  uv_fs_req_cleanup(&r.req);
  return rc ? weft__fs_fail(rc, "scandir", path) : 0;
}

int weft_fs_listdir(const char *path, char ***names, size_t *n) {
  weft_dirent *ents;
  size_t count;
  char **v;
  int rc;

  if (!names || !n)
    return weft__fs_fail(-EINVAL, "listdir", path);
  if ((rc = weft_fs_scandir(path, &ents, &count)) != 0)
    return rc;
  if (!(v = weft_calloc(count ? count : 1, sizeof *v))) {
    weft_fs_dirents_free(ents, count);
    return weft__fs_fail(-ENOMEM, "listdir", path);
  }
  for (size_t i = 0; i < count; i++)
    v[i] = ents[i].name; /* the names move over */
  weft_free(ents);
  *names = v;
  *n = count;
  return 0;
}
