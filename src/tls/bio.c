/*
 * The engine's BIOs over its own buffers (buf.c): OpenSSL appends outgoing
 * records to e->obuf, which the TLS transport sends in one write without
 * copying it out first, and reads incoming records from e->ibuf, which the
 * lower transport may read into directly. (A memory BIO zeroes its buffer
 * on every write and can only be read by copying.)
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>

#include "tls/internal.h"

static pthread_mutex_t method_lock = PTHREAD_MUTEX_INITIALIZER;
static BIO_METHOD *methods[2]; /* [0] input, [1] output */

static int out_write(BIO *b, const char *data, int len) {
  weft_tls_engine *e = BIO_get_data(b);

  BIO_clear_retry_flags(b);
  if (len <= 0)
    return 0;
  if (weft__tls_buf_append(&e->obuf, data, (size_t)len) != 0) {
    e->out_nomem = 1; /* OpenSSL sees a failed write: weft__tls_engine_fail says why */
    return -1;
  }
  return len;
}

/* Empty: "more to come" until feed_eof, then end of file. */
static int in_read(BIO *b, char *out, int len) {
  weft_tls_engine *e = BIO_get_data(b);
  size_t n;
  const char *p = weft__tls_buf_peek(&e->ibuf, &n);

  BIO_clear_retry_flags(b);
  if (n == 0) {
    if (e->eof_in)
      return 0;
    BIO_set_retry_read(b);
    return -1;
  }
  if (len <= 0)
    return 0;
  if (n > (size_t)len)
    n = (size_t)len;
  memcpy(out, p, n);
  weft__tls_buf_consume(&e->ibuf, n);
  return (int)n;
}

static long buf_ctrl(const weft__tls_buf *buf, int cmd, int eof) {
  switch (cmd) {
  case BIO_CTRL_FLUSH:
    return 1;
  case BIO_CTRL_PENDING:
  case BIO_CTRL_WPENDING:
    return buf->len > LONG_MAX ? LONG_MAX : (long)buf->len;
  case BIO_CTRL_EOF:
    return buf->len == 0 && eof;
  default:
    return 0;
  }
}

static long in_ctrl(BIO *b, int cmd, long num, void *ptr) {
  const weft_tls_engine *e = BIO_get_data(b);

  (void)num;
  (void)ptr;
  return buf_ctrl(&e->ibuf, cmd, e->eof_in);
}

static long out_ctrl(BIO *b, int cmd, long num, void *ptr) {
  const weft_tls_engine *e = BIO_get_data(b);

  (void)num;
  (void)ptr;
  return buf_ctrl(&e->obuf, cmd, 1);
}

static int bio_create(BIO *b) {
  BIO_set_init(b, 1);
  return 1;
}

static BIO_METHOD *new_method(int output) {
  BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
                               output ? "weft TLS out" : "weft TLS in");
  int ok;

  if (!m)
    return NULL;
  ok = output ? BIO_meth_set_write(m, out_write) && BIO_meth_set_ctrl(m, out_ctrl)
              : BIO_meth_set_read(m, in_read) && BIO_meth_set_ctrl(m, in_ctrl);
  if (!ok || !BIO_meth_set_create(m, bio_create)) {
    BIO_meth_free(m);
    return NULL;
  }
  return m;
}

/* Made once per process (again after a failure). */
static BIO_METHOD *method(int output) {
  BIO_METHOD *m;

  pthread_mutex_lock(&method_lock);
  if (!methods[output])
    methods[output] = new_method(output);
  m = methods[output];
  pthread_mutex_unlock(&method_lock);
  return m;
}

BIO *weft__tls_bio_new(weft_tls_engine *e, int output) {
  BIO_METHOD *m = method(output);
  BIO *b = m ? BIO_new(m) : NULL;

  if (b)
    BIO_set_data(b, e);
  return b;
}
