/*
 * getaddrinfo/getnameinfo on libuv's thread pool. The request outlives an
 * interrupted task: the task leaves at once, uv_cancel takes the job off the
 * queue if it has not started, and the completion callback, finding nobody
 * waiting, frees the request and whatever result it brought.
 */
#include <errno.h>
#include <string.h>

#include "dns/internal.h"

typedef struct gai_req {
  uv_getaddrinfo_t req;
  weft_task *task; /* NULL once the task stopped waiting */
  int *abandoned;  /* the task's flag, set when it is interrupted */
  int status;
  struct addrinfo *res; /* libc's list */
} gai_req;

typedef struct gni_req {
  uv_getnameinfo_t req;
  weft_task *task;
  int *abandoned;
  int status;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
} gni_req;

static void gai_done(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  gai_req *g = req->data;

  if (!g->task) {
    uv_freeaddrinfo(res);
    weft_free(g);
    return;
  }
  g->status = status;
  g->res = res;
  weft__wake(g->task, 0);
}

static void gai_abandon(weft_task *t, void *obj) {
  gai_req *g = obj;

  WEFT__UNUSED(t);
  *g->abandoned = 1;
  g->task = NULL;
  uv_cancel((uv_req_t *)&g->req); /* fails harmlessly once running */
}

static int gai_finish(gai_req *g, struct addrinfo **res) {
  int rc = g->status;

  if (rc == 0)
    rc = weft__dns_ai_copy(g->res, res);
  uv_freeaddrinfo(g->res);
  weft_free(g);
  return rc;
}

int weft_getaddrinfo(const char *host, const char *service, const struct addrinfo *hints,
                     struct addrinfo **res) {
  weft_loop *loop = weft__dns_task_loop();
  gai_req *g;
  int abandoned = 0, rc;

  if (!loop)
    return -EPERM;
  if (!res || (!host && !service))
    return -EINVAL;
  *res = NULL;
  g = weft_calloc(1, sizeof *g);
  if (!g)
    return -ENOMEM;
  g->task = weft__current();
  g->abandoned = &abandoned;
  g->req.data = g;
  rc = uv_getaddrinfo(&loop->uv, &g->req, gai_done, host, service, hints);
  if (rc < 0)
    goto fail;
  rc = weft__park("getaddrinfo", gai_abandon, g);
  if (abandoned) /* the callback frees g, maybe already did */
    return rc;
  if (rc < 0) { /* interrupted before parking */
    gai_abandon(NULL, g);
    return rc;
  }
  return gai_finish(g, res);
fail:
  weft_free(g);
  return rc;
}

static void gni_done(uv_getnameinfo_t *req, int status, const char *host, const char *serv) {
  gni_req *g = req->data;

  if (!g->task) {
    weft_free(g);
    return;
  }
  g->status = status;
  if (status == 0) {
    snprintf(g->host, sizeof g->host, "%s", host ? host : "");
    snprintf(g->serv, sizeof g->serv, "%s", serv ? serv : "");
  }
  weft__wake(g->task, 0);
}

static void gni_abandon(weft_task *t, void *obj) {
  gni_req *g = obj;

  WEFT__UNUSED(t);
  *g->abandoned = 1;
  g->task = NULL;
  uv_cancel((uv_req_t *)&g->req);
}

static void copy_out(char *dst, size_t len, const char *src) {
  if (dst && len)
    snprintf(dst, len, "%s", src);
}

int weft_getnameinfo(const struct sockaddr *addr, int flags, char *host, size_t hostlen, char *serv,
                     size_t servlen) {
  weft_loop *loop = weft__dns_task_loop();
  gni_req *g;
  int abandoned = 0, rc;

  if (!loop)
    return -EPERM;
  if (!addr || (addr->sa_family != AF_INET && addr->sa_family != AF_INET6))
    return -EINVAL;
  g = weft_calloc(1, sizeof *g);
  if (!g)
    return -ENOMEM;
  g->task = weft__current();
  g->abandoned = &abandoned;
  g->req.data = g;
  rc = uv_getnameinfo(&loop->uv, &g->req, gni_done, addr, flags);
  if (rc < 0)
    goto fail;
  rc = weft__park("getnameinfo", gni_abandon, g);
  if (abandoned)
    return rc;
  if (rc < 0) {
    gni_abandon(NULL, g);
    return rc;
  }
  rc = g->status;
  if (rc == 0) {
    copy_out(host, hostlen, g->host);
    copy_out(serv, servlen, g->serv);
  }
fail:
  weft_free(g);
  return rc;
}

_Static_assert(WEFT_EAI_NONAME == UV_EAI_NONAME && WEFT_EAI_AGAIN == UV_EAI_AGAIN &&
                   WEFT_EAI_SERVICE == UV_EAI_SERVICE && WEFT_EAI_FAMILY == UV_EAI_FAMILY &&
                   WEFT_EAI_NODATA == UV_EAI_NODATA && WEFT_EAI_FAIL == UV_EAI_FAIL &&
                   WEFT_EAI_BADFLAGS == UV_EAI_BADFLAGS && WEFT_EAI_MEMORY == UV_EAI_MEMORY &&
                   WEFT_EAI_OVERFLOW == UV_EAI_OVERFLOW && WEFT_EAI_SOCKTYPE == UV_EAI_SOCKTYPE &&
                   WEFT_EAI_BADHINTS == UV_EAI_BADHINTS && WEFT_EAI_PROTOCOL == UV_EAI_PROTOCOL &&
                   WEFT_EAI_ADDRFAMILY == UV_EAI_ADDRFAMILY,
               "WEFT_EAI_* mirror libuv's UV_EAI_*");
