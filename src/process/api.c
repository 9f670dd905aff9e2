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

/* Every item of b is done: its first failing code, and b is freed. */
static int batch_end(weft__pbatch *b) {
  int rc = b->first_code;

  weft__batch_abandon(b);
  return rc;
}

int weft_pool_map(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                  weft_pool_result *results) {
  weft__pbatch *b;
  int rc;

  if (!weft_current_task())
    return -EPERM;
  if ((rc = weft__pool_batch(p, fn, items, n, &(weft__psink){.res = results}, &b)) != 0)
    return rc;
  if (n && (rc = weft__batch_wait(b, n - 1)) != 0) {
    for (size_t i = 0; i < n; i++) /* give back what was stored */
      if (b->state[i] & WEFT__PI_DONE)
        weft_pool_result_clear(&results[i]);
    weft__batch_abandon(b);
    return rc;
  }
  return batch_end(b);
}

/* Room for n spans in out. 0, -ENOMEM. */
static int spans_reserve(weft_pool_results *out, size_t n) {
  weft_pool_span *ni;
  size_t cap;

  if (n <= out->ncap)
    return 0;
  if (n > SIZE_MAX / sizeof *ni || !(ni = weft__big_alloc(n * sizeof *ni, &cap)))
    return -ENOMEM; /* old spans are not kept */
  weft__prefault(ni, n * sizeof *ni);
  weft_free(out->items);
  out->items = ni;
  out->ncap = cap / sizeof *ni;
  return 0;
}

int weft_pool_map_arena(weft_pool *p, weft_pool_fn fn, const weft_buf *items, size_t n,
                        weft_pool_results *out) {
  weft__pbatch *b;
  int rc;

  out->n = out->len = 0;
  if (!weft_current_task())
    return -EPERM;
  if ((rc = spans_reserve(out, n)) != 0 ||
      (rc = weft__pool_batch(p, fn, items, n, &(weft__psink){.ar = out}, &b)) != 0)
    return rc;
  if (n && (rc = weft__batch_wait(b, n - 1)) != 0) {
    weft__batch_abandon(b);
    out->len = 0;
    return rc;
  }
  out->n = n;
  return batch_end(b);
}

weft_buf weft_pool_results_buf(const weft_pool_results *r, size_t i) {
  const weft_pool_span *sp = &r->items[i];

  if (sp->code || !sp->len)
    return (weft_buf){0};
  return (weft_buf){r->data + sp->off, sp->len};
}

const char *weft_pool_results_message(const weft_pool_results *r, size_t i) {
  const weft_pool_span *sp = &r->items[i];

  if (!sp->code)
    return NULL;
  return sp->len ? r->data + sp->off : "";
}

void weft_pool_results_free(weft_pool_results *r) {
  weft_free(r->data);
  weft_free(r->items);
  *r = (weft_pool_results){0};
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
  if ((rc = weft__pool_batch(p, fn, items, n, &(weft__psink){.copy = 1, .order = 1}, &s->b)) != 0) {
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
  *res = b->res[i];
  b->res[i] = (weft_pool_result){0};
  return res->code;
}

void weft_pool_stream_free(weft_pool_stream *s) {
  if (!s)
    return;
  weft__batch_abandon(s->b);
  weft_free(s);
}
