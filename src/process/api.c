/*
 * Byte buffers and the task-facing pool calls: apply, map, starmap and the
 * streaming map, all built on batches.
 */
#include <errno.h>
#include <string.h>

#include "process/internal.h"

void weft_buf_free(weft_buf *b) {
  weft_free(b->data);
  b->data = NULL;
  b->len = 0;
}

void weft_pool_result_clear(weft_pool_result *r) {
  weft_buf_free(&r->buf);
  weft_free(r->message);
  r->message = NULL;
  r->code = 0;
}

/* Packed layout: u64 count, count u64 lengths, then the bytes. */
int weft_buf_pack(weft_buf *out, const weft_buf *args, size_t n) {
  size_t len = sizeof(uint64_t) * (n + 1);
  uint64_t v;
  char *d;

  for (size_t i = 0; i < n; i++)
    len += args[i].len;
  if (!(d = weft_malloc(len)))
    return -ENOMEM;
  v = n;
  memcpy(d, &v, sizeof v);
  for (size_t i = 0; i < n; i++) {
    v = args[i].len;
    memcpy(d + sizeof v * (i + 1), &v, sizeof v);
  }
  len = sizeof v * (n + 1);
  for (size_t i = 0; i < n; i++) {
    if (args[i].len)
      memcpy(d + len, args[i].data, args[i].len);
    len += args[i].len;
  }
  out->data = d;
  out->len = len;
  return 0;
}

int weft_buf_unpack(const weft_buf *packed, weft_buf *args, size_t cap, size_t *n) {
  const char *d = packed->data;
  uint64_t count, v;
  size_t off;

  if (packed->len < sizeof count)
    return -EINVAL;
  memcpy(&count, d, sizeof count);
  if (count > (packed->len - sizeof count) / sizeof v)
    return -EINVAL;
  if (count > cap)
    return -ENOSPC;
  off = sizeof v * (count + 1);
  for (size_t i = 0; i < count; i++) {
    memcpy(&v, d + sizeof v * (i + 1), sizeof v);
    if (v > packed->len - off)
      return -EINVAL;
    args[i].data = (char *)d + off;
    args[i].len = v;
    off += v;
  }
  *n = count;
  return 0;
}

static void take_result(weft__pjob *j, weft_pool_result *res) {
  *res = j->res;
  j->res = (weft_pool_result){0};
}

int weft_pool_map(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                  weft_pool_result *results) {
  weft__pbatch *b;
  int rc, first = 0;

  if (!weft_current_task())
    return -EPERM;
  if ((rc = weft__pool_batch(p, fn, items, n, &b)) != 0)
    return rc;
  if (n && (rc = weft__batch_wait(b, n - 1)) != 0) {
    weft__batch_abandon(b);
    return rc;
  }
  for (size_t i = 0; i < n; i++) {
    take_result(&b->jobs[i], &results[i]);
    if (results[i].code && !first)
      first = results[i].code;
  }
  b->ntaken = n;
  weft__batch_abandon(b); /* every job is done: this frees it */
  return first;
}

int weft_pool_starmap(weft_pool *p, weft_pool_fn fn, const weft_buf *packed, size_t n,
                      weft_pool_result *results) {
  return weft_pool_map(p, fn, packed, n, results);
}

int weft_pool_apply(weft_pool *p, weft_pool_fn fn, const weft_buf *arg, weft_pool_result *res) {
  weft_buf none = {0};

  return weft_pool_map(p, fn, arg ? arg : &none, 1, res);
}

struct weft_pool_stream {
  weft__pbatch *b;
};

int weft_pool_stream_new(weft_pool_stream **out, weft_pool *p, weft_pool_fn fn,
                         const weft_buf *items, size_t n) {
  weft_pool_stream *s = weft_malloc(sizeof *s);
  int rc;

  if (!s)
    return -ENOMEM;
  if ((rc = weft__pool_batch(p, fn, items, n, &s->b)) != 0) {
    weft_free(s);
    return rc;
  }
  *out = s;
  return 0;
}

int weft_pool_stream_next(weft_pool_stream *s, size_t *index, weft_pool_result *res) {
  weft__pbatch *b = s->b;
  size_t i;
  int rc;

  if (b->ntaken == b->n)
    return WEFT_DONE;
  if (!weft_current_task())
    return -EPERM;
  if ((rc = weft__batch_wait(b, b->ntaken)) != 0)
    return rc;
  i = b->order[b->ntaken++];
  *index = i;
  take_result(&b->jobs[i], res);
  return res->code;
}

void weft_pool_stream_free(weft_pool_stream *s) {
  if (!s)
    return;
  weft__batch_abandon(s->b);
  weft_free(s);
}
