/*
 * Unix socket connections and transports over existing file descriptors
 * (sockets, pipes, stdin/stdout).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/internal.h"
#include "net/tlshook.h"
#include "net/uvstream.h"

static int unix_socket_connect(const char *path, int *fdp) {
  struct sockaddr_un sun;
  socklen_t len;
  int fd, rc = weft__unix_addr(path, &sun, &len);

  if (rc)
    return rc;
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (connect(fd, (struct sockaddr *)&sun, len) != 0) {
    rc = -errno;
    close(fd);
    return rc;
  }
  *fdp = fd;
  return 0;
}

static weft_loop *current_loop(void) {
  weft_task *t = weft__current();

  return t ? t->fut.loop : weft_loop_current();
}

int weft_create_unix_connection(const char *path, const weft_protocol *proto, void *arg,
                                const weft_connect_opts *opts, weft_transport **out) {
  weft_task *t = weft__current();
  weft_loop *loop = current_loop();
  weft__uvs *u;
  int fd = -1, rc;

  if (!path || !out || !proto || !proto->data_received)
    return -EINVAL;
  if (!loop)
    return -EPERM;
  if (t && (rc = weft__scope_pending(t)) != 0)
    return rc;
  if ((rc = unix_socket_connect(path, &fd)) != 0)
    return rc;
  if ((rc = weft__uvs_open(loop, WEFT__UVS_PIPE, fd, &u)) != 0) {
    close(fd);
    return rc;
  }
  u->is_socket = 1;
  return weft__connect_finish(u, NULL, proto, arg, opts, out);
}

/* The transport kind for fd, or a negative code. */
static int fd_kind(int fd, uint8_t *is_socket) {
  struct stat st;

  if (fd < 0 || fstat(fd, &st) != 0)
    return -EBADF;
  *is_socket = S_ISSOCK(st.st_mode) != 0;
  switch (uv_guess_handle(fd)) {
  case UV_TCP:
    return WEFT__UVS_TCP;
  case UV_NAMED_PIPE:
  case UV_TTY:
    return WEFT__UVS_PIPE;
  default:
    return -EINVAL;
  }
}

static int wrap_fd(int fd, const weft_protocol *proto, void *arg, uint32_t flags,
                   weft_transport **out) {
  weft_loop *loop = current_loop();
  uint8_t is_socket = 0;
  weft__uvs *u;
  int kind, rc;

  if (!out || !proto || (!proto->data_received && !(flags & WEFT__TR_NO_READ)))
    return -EINVAL;
  if (!loop)
    return -EPERM;
  if ((kind = fd_kind(fd, &is_socket)) < 0)
    return kind;
  if ((rc = weft__uvs_open(loop, kind, fd, &u)) != 0)
    return rc;
  u->is_socket = is_socket;
  u->base.flags |= flags;
  if (kind == WEFT__UVS_TCP)
    weft__uvs_tcp_setup(u, 0, 0);
  weft__uvs_start(u, proto, arg);
  *out = &u->base;
  return 0;
}

int weft_connect_fd(int fd, const weft_protocol *proto, void *arg, weft_transport **out) {
  return wrap_fd(fd, proto, arg, 0, out);
}

int weft_connect_read_pipe(int fd, const weft_protocol *proto, void *arg, weft_transport **out) {
  return wrap_fd(fd, proto, arg, WEFT__TR_NO_WRITE, out);
}

int weft_connect_write_pipe(int fd, const weft_protocol *proto, void *arg, weft_transport **out) {
  return wrap_fd(fd, proto, arg, WEFT__TR_NO_READ, out);
}
