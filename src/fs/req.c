/*
 * Waiting for one libuv fs request, and the thread's error message. A
 * request on the thread pool cannot be stopped once it runs, so an
 * interrupted wait withdraws it if it is still queued and otherwise waits
 * for it, shielded, before returning the interruption code.
 */
#include <stdio.h>

#include "internal.h"

static _Thread_local char fs_message[1024];

const char *weft_fs_error(void) {
  return fs_message;
}

int weft__fs_fail(int code, const char *op, const char *path) {
  snprintf(fs_message, sizeof fs_message, "%s '%s': %s", op, path ? path : "", weft_strerror(code));
  return code;
}

int weft__fs_fail2(int code, const char *op, const char *from, const char *to) {
  snprintf(fs_message, sizeof fs_message, "%s '%s' -> '%s': %s", op, from ? from : "", to ? to : "",
           weft_strerror(code));
  return code;
}

void weft__fs_cb(uv_fs_t *req) {
  weft__fs_req *r = req->data;

  r->done = 1;
  weft__wake(r->task, 0); /* no effect unless it is parked on r */
}

int weft__fs_begin(weft__fs_req *r, weft_loop **loop) {
  weft_task *t = weft__current();

  if (!t)
    return -EPERM;
  r->task = t;
  r->done = 0;
  r->req.data = r;
  *loop = t->fut.loop;
  if (weft__scope_pending(t))
    return weft__park("fs", NULL, NULL);
  return 0;
}

static void fs_interrupted(weft_task *t, void *obj) {
  weft__fs_req *r = obj;

  WEFT__UNUSED(t);
  uv_cancel((uv_req_t *)&r->req); /* fails harmlessly once it runs */
}

/* The rest of an interrupted request, out of reach of the interruption. */
static void fs_wait_shielded(weft__fs_req *r) {
  weft_scope shield;

  uv_cancel((uv_req_t *)&r->req);
  weft_shield_enter(&shield);
  while (!r->done)
    weft__park("fs", fs_interrupted, r);
  weft_shield_leave(&shield);
}

int weft__fs_wait(weft__fs_req *r, int rc) {
  int code = 0;

  if (rc < 0) {
    r->req.result = rc;
    return 0;
  }
  while (!r->done && !code)
    code = weft__park("fs", fs_interrupted, r);
  if (!r->done)
    fs_wait_shielded(r);
  return code;
}

int64_t weft__fs_finish(weft__fs_req *r, int rc) {
  int code = weft__fs_wait(r, rc);
  int64_t result = r->req.result;

  if (rc >= 0)
    uv_fs_req_cleanup(&r->req);
  return code ? code : result;
}
