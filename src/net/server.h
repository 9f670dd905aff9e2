/*
 * Server internals shared by server.c (listening, accepting, closing) and
 * server_wait.c (waiting and queries).
 */
#ifndef WEFT_NET_SERVER_H
#define WEFT_NET_SERVER_H

#include "core/list.h"
#include "net/uvstream.h"

typedef struct weft__listener {
  uv_poll_t poll;
  int fd;
  uint8_t polling;
  struct weft_server *srv;
  struct sockaddr_storage addr;
} weft__listener;

/* A task waiting in serve_forever / wait_closed (on its stack). */
typedef struct srv_waiter {
  weft__list link;
  weft_task *task;
} srv_waiter;

struct weft_server {
  weft_loop *loop;
  weft__listener *ls;
  size_t nls;
  weft_protocol_factory factory;
  void *factory_arg;
  weft_server_opts opts;
  char *unix_path;       /* removed on close */
  weft_transport *conns; /* live connections (srv_prev/srv_next) */
  size_t live;
  uv_timer_t retry; /* accept retry after EMFILE or short memory */
  weft__uvs *spare; /* the next accepted connection's transport */
  weft__list waiters;
  int handles; /* uv handles not yet closed */
  uint8_t is_unix;
  uint8_t closed;
  uint8_t freed;
  uint8_t paused_emfile;
};

#endif
