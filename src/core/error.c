/* Error names and messages for every code weft returns. */
#include <errno.h>
#include <string.h>

#include "internal.h"

/* clang-format off */
#define WEFT__ERRNO_MAP(X) \
  X(EPERM) X(ENOENT) X(ESRCH) X(EINTR) X(EIO) X(ENXIO) X(E2BIG) X(ENOEXEC) X(EBADF) \
  X(ECHILD) X(EAGAIN) X(ENOMEM) X(EACCES) X(EFAULT) X(EBUSY) X(EEXIST) X(EXDEV) X(ENODEV) \
  X(ENOTDIR) X(EISDIR) X(EINVAL) X(ENFILE) X(EMFILE) X(ENOTTY) X(EFBIG) X(ENOSPC) X(ESPIPE) \
  X(EROFS) X(EMLINK) X(EPIPE) X(EDOM) X(ERANGE) X(EDEADLK) X(ENAMETOOLONG) X(ENOSYS) \
  X(ENOTEMPTY) X(ELOOP) X(ENOMSG) X(ENODATA) X(ETIME) X(EPROTO) X(EBADMSG) X(EOVERFLOW) \
  X(EILSEQ) X(ENOTSOCK) X(EDESTADDRREQ) X(EMSGSIZE) X(EPROTOTYPE) X(ENOPROTOOPT) \
  X(EPROTONOSUPPORT) X(EOPNOTSUPP) X(EAFNOSUPPORT) X(EADDRINUSE) X(EADDRNOTAVAIL) \
  X(ENETDOWN) X(ENETUNREACH) X(ECONNABORTED) X(ECONNRESET) X(ENOBUFS) X(EISCONN) \
  X(ENOTCONN) X(ESHUTDOWN) X(ETIMEDOUT) X(ECONNREFUSED) X(EHOSTDOWN) X(EHOSTUNREACH) \
  X(EALREADY) X(EINPROGRESS) X(ECANCELED) X(ENOTRECOVERABLE) X(EOWNERDEAD)
/* clang-format on */

/* Codes of higher layers outside errno's range (the DNS resolver's). */
static weft__err_range *ranges;

void weft__err_register(weft__err_range *r) {
  r->next = ranges;
  ranges = r;
}

static const weft__err_range *range_of(int err) {
  for (const weft__err_range *r = ranges; r; r = r->next)
    if (err >= r->lo && err <= r->hi)
      return r;
  return NULL;
}

const char *weft_err_name(int err) {
  const weft__err_range *r = range_of(err);

  if (r)
    return r->name(err);
  switch (-err) {
  case 0:
    return "OK";
#define WEFT__NAME_CASE(e) \
  case e:                  \
    return #e;
    WEFT__ERRNO_MAP(WEFT__NAME_CASE)
#undef WEFT__NAME_CASE
  default:
    return "UNKNOWN";
  }
}

const char *weft_strerror(int err) {
  const weft__err_range *r = range_of(err);

  if (r)
    return r->text(err);
  if (err == 0)
    return "success";
  if (err == -ECANCELED)
    return "operation cancelled";
  if (err == -ETIMEDOUT)
    return "timed out";
  if (err < 0 && strcmp(weft_err_name(err), "UNKNOWN") != 0) {
    const char *s = strerrordesc_np(-err); /* static text, thread-safe */
    return s ? s : "unknown error";
  }
  if (err < 0 && strcmp(uv_err_name(err), "Unknown system error") != 0)
    return uv_strerror(err); /* libuv's own codes (UV_EAI_*, UV_EOF ...) */
  return "unknown error";
}
