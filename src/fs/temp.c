/* tempfile.mkstemp / mkdtemp on uv_fs_mkstemp / uv_fs_mkdtemp. */
#include <string.h>
#include <unistd.h>

#include "internal.h"

static int check_template(const char *t) {
  size_t n = t ? strlen(t) : 0;

  return n >= 6 && strcmp(t + n - 6, "XXXXXX") == 0 ? 0 : -EINVAL;
}

/* Run mkstemp (dir 0) or mkdtemp (dir 1): *path gets the name, *fd the
 * descriptor (mkstemp). */
static int make_temp(const char *tmpl, int dir, char **path, int *fd) {
  const char *op = dir ? "mkdtemp" : "mkstemp";
  weft__fs_req r;
  weft_loop *loop;
  int64_t rc;

  if (check_template(tmpl))
    return weft__fs_fail(-EINVAL, op, tmpl);
  if ((rc = weft__fs_begin(&r, &loop)) != 0)
    return weft__fs_fail((int)rc, op, tmpl);
  rc = weft__fs_wait(&r, dir ? uv_fs_mkdtemp(&loop->uv, &r.req, tmpl, weft__fs_cb)
                             : uv_fs_mkstemp(&loop->uv, &r.req, tmpl, weft__fs_cb));
  if (!rc && r.req.result < 0)
    rc = r.req.result;
  if (!rc && !(*path = weft_strdup(r.req.path)))
    rc = -ENOMEM;
  if (rc && r.req.result >= 0 && !dir)
    close((int)r.req.result);
  *fd = (int)r.req.result;
  uv_fs_req_cleanup(&r.req);
  return rc ? weft__fs_fail((int)rc, op, tmpl) : 0;
}

int weft_fs_mkdtemp(const char *template_, char **path) {
  int fd;

  if (!path)
    return weft__fs_fail(-EINVAL, "mkdtemp", template_);
  return make_temp(template_, 1, path, &fd);
}

int weft_fs_mkstemp(const char *template_, weft_file **out, char **path) {
  weft_file *f;
  char *name;
  int fd, rc;

  if (!out)
    return weft__fs_fail(-EINVAL, "mkstemp", template_);
  if ((rc = make_temp(template_, 0, &name, &fd)) != 0)
    return rc;
  /* Reopen by name in "w+" mode, then drop the mkstemp descriptor: the
   * file object owns its own. */
  rc = weft_file_open(&f, name, "r+");
  close(fd);
  if (rc) {
    weft_free(name);
    return rc;
  }
  *out = f;
  if (path)
    *path = name;
  else
    weft_free(name);
  return 0;
}
