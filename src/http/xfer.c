/*
 * One transfer: a curl easy handle, the header block of the response being
 * received, the body buffered up to read_bufsize (then the transfer is
 * paused until the task reads), and the upload pumped from a streaming
 * source in the requesting task. curl calls the callbacks below from
 * curl_multi_socket_action (loop callbacks) and, when a paused transfer is
 * resumed, from curl_easy_pause in the task.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http/engine.h"

/* Finished transfers a session keeps for reuse, and the largest buffer
 * one keeps. */
#define IDLE_BUF_MAX ((size_t)256 * 1024)
/* curl's receive buffer: its default, and the size a session moves to
 * once a read has filled that (a 100 KiB body in two reads, not seven).
 * curl allocates it for every transfer and frees it when the transfer
 * ends, so small responses keep the small one. */
#define RECV_BUFSIZE_SMALL 16384L
#define RECV_BUFSIZE_LARGE 65536L

static void wake(weft__http_xfer *x) {
  if (x->task)
    weft__wake(x->task, 0);
  else if (x->err && x->source_scope) /* the task is in the body's source */
    weft_timeout_reschedule(x->source_scope, 0);
}

void weft__http_xfer_fail(weft__http_xfer *x, int code) {
  if (!x->err) {
    x->err = code;
    if (!x->msg[0])
      snprintf(x->msg, sizeof x->msg, "%s", weft_http_strerror(code));
  }
  wake(x);
}

static int header_status(weft__http_xfer *x, const char *line, size_t len) {
  weft__http_headers_free(x->headers);
  x->headers = weft__http_headers_new();
  x->raw.off = x->raw.len = 0;
  x->headers_done = 0;
  if (!x->headers)
    return -ENOMEM;
  return weft__http_parse_status_line(line, len, &x->version, &x->status, x->reason,
                                      sizeof x->reason);
}

static int header_line(weft__http_xfer *x, const char *line, size_t len) {
  int rc;

  if (len >= 5 && memcmp(line, "HTTP/", 5) == 0) {
    rc = header_status(x, line, len);
  } else if (!x->headers) {
    return 0; /* a line before any status line: not ours */
  } else if (line[0] == '\r' || line[0] == '\n') {
    if (x->status >= 200) {
      x->headers_done = 1;
      wake(x);
    }
    rc = 0;
  } else {
    rc = weft__http_headers_add_line(x->headers, line, len);
  }
  if (rc < 0)
    return rc;
  return weft__http_buf_append(&x->raw, line, len);
}

/* Data came: the transfer's silence (sock_read) starts again. One clock
 * read per entry into curl, not one per header line. */
static void stamp(weft__http_xfer *x) {
  if (x->s->entered > x->activity)
    x->activity = x->s->entered;
}

static size_t on_header(char *line, size_t size, size_t n, void *arg) {
  weft__http_xfer *x = arg;
  int rc;

  stamp(x);
  if (x->headers_done)
    return n; /* trailers */
  rc = header_line(x, line, n * size);
  if (rc < 0) {
    x->err = rc == -ENOMEM ? -ENOMEM
                           : weft__http_fail(WEFT_HTTP_EPROTO, "malformed response header: %.*s",
                                             (int)(n > 80 ? 80 : n), line);
    return 0; /* curl fails the transfer */
  }
  return n;
}

static int piece_push(weft__http_xfer *x, size_t n) {
  if (x->p_len == x->p_cap) {
    size_t cap = x->p_cap ? x->p_cap * 2 : 16;
    size_t *p = weft_malloc(cap * sizeof *p);

    if (!p)
      return -ENOMEM;
    for (size_t i = 0; i < x->p_len; i++)
      p[i] = x->pieces[(x->p_head + i) % x->p_cap];
    weft_free(x->pieces);
    x->pieces = p;
    x->p_cap = cap;
    x->p_head = 0;
  }
  x->pieces[(x->p_head + x->p_len) % x->p_cap] = n;
  x->p_len++;
  return 0;
}

/* Room for n more body bytes. Once a body needs more than 16 KiB its
 * buffer gets all it can hold at once (read_bufsize and one curl write, up
 * to IDLE_BUF_MAX) instead of a chain of doublings, each of which would
 * free a large block. */
static int in_room(weft__http_xfer *x, size_t n) {
  size_t need = x->in.len - x->in.off + n + 1;
  size_t want = x->bufsize + (size_t)x->recv_size + 1;

  if (need <= x->in.cap || need <= (size_t)RECV_BUFSIZE_SMALL)
    return 0;
  if (want > IDLE_BUF_MAX)
    want = IDLE_BUF_MAX;
  return want < need ? 0 : weft__http_buf_grow(&x->in, want);
}

/* n more bytes would pass a whole-body read's limit. */
static int over_sink(weft__http_xfer *x, size_t n) {
  if (x->in.len - x->in.off + n <= x->sink_limit)
    return 0;
  x->sink_refused = n;
  return 1;
}

static size_t on_write(char *data, size_t size, size_t n, void *arg) {
  weft__http_xfer *x = arg;

  n *= size;
  stamp(x);
  if (n >= RECV_BUFSIZE_SMALL)
    x->s->large_reads = 1;
  if (x->discard || n == 0)
    return n;
  if (x->sink ? over_sink(x, n) : x->in.len - x->in.off >= x->bufsize) {
    x->paused_recv = 1;
    if (x->sink)
      wake(x); /* the whole-body reader's limit is reached */
    return CURL_WRITEFUNC_PAUSE;
  }
  if (in_room(x, n) < 0 || piece_push(x, n) < 0 || weft__http_buf_append(&x->in, data, n) < 0) {
    x->err = -ENOMEM;
    return 0;
  }
  if (!x->sink)
    wake(x); /* a whole-body reader wakes when the transfer is done */
  return n;
}

static size_t on_read(char *buf, size_t size, size_t n, void *arg) {
  weft__http_xfer *x = arg;
  size_t avail = x->up.len - x->up.off;

  n *= size;
  if (x->err)
    return CURL_READFUNC_ABORT;
  if (avail == 0 && x->up_eof)
    return 0;
  if (avail == 0) {
    x->up_want = 1;
    x->paused_send = 1;
    wake(x);
    return CURL_READFUNC_PAUSE;
  }
  if (n > avail)
    n = avail;
  memcpy(buf, x->up.data + x->up.off, n);
  x->up.off += n;
  if (x->up.off == x->up.len)
    x->up.off = x->up.len = 0;
  return n;
}

void weft__http_xfer_callbacks(weft__http_xfer *x, weft__http_opts *co) {
  weft__http_opt_ptr(co, CURLOPT_PRIVATE, x, "private");
  weft__http_opt_ptr(co, CURLOPT_ERRORBUFFER, x->errbuf, "error buffer");
  weft__http_opt_fn(co, CURLOPT_HEADERFUNCTION, (void (*)(void))on_header, "header callback");
  weft__http_opt_ptr(co, CURLOPT_HEADERDATA, x, "header callback");
  weft__http_opt_fn(co, CURLOPT_WRITEFUNCTION, (void (*)(void))on_write, "write callback");
  weft__http_opt_ptr(co, CURLOPT_WRITEDATA, x, "write callback");
  weft__http_opt_long(co, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L, "proxy headers");
  weft__http_opt_long(co, CURLOPT_FOLLOWLOCATION, 0L, "redirects");
  weft__http_opt_long(co, CURLOPT_NOSIGNAL, 1L, "NOSIGNAL");
  x->recv_size = x->s->large_reads ? RECV_BUFSIZE_LARGE : RECV_BUFSIZE_SMALL;
  if (x->s->large_reads)
    weft__http_opt_long(co, CURLOPT_BUFFERSIZE, RECV_BUFSIZE_LARGE, "receive buffer");
  weft__http_engine_easy(x->s, co);
  if (x->body.source) {
    weft__http_opt_fn(co, CURLOPT_READFUNCTION, (void (*)(void))on_read, "read callback");
    weft__http_opt_ptr(co, CURLOPT_READDATA, x, "read callback");
  }
}

void weft__http_xfer_pause(weft__http_xfer *x) {
  int bits = (x->paused_recv ? CURLPAUSE_RECV : 0) | (x->paused_send ? CURLPAUSE_SEND : 0);

  if (x->attached && !x->done) {
    x->s->entered = weft_time();
    curl_easy_pause(x->easy, bits);
  }
}

void weft__http_xfer_finished(weft__http_xfer *x, CURLcode result) {
  weft_http_session *s = x->s;
  long os_errno = 0;

  x->done = 1;
  x->result = result;
  x->opts_clean = result == CURLE_OK && !x->paused_recv && !x->paused_send;
  if (result != CURLE_OK && !x->err) {
    long connect_code = 0;

    curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
    curl_easy_getinfo(x->easy, CURLINFO_CONNECT_TIME_T, &connect_code);
    x->connected = connect_code > 0;
    x->err = weft__http_curl_error(result, x->errbuf, x->connected, os_errno);
    snprintf(x->msg, sizeof x->msg, "%s", weft_http_last_error());
  }
  curl_multi_remove_handle(s->multi, x->easy);
  x->attached = 0;
  wake(x);
}

/* A transfer kept for reuse: its easy handle and buffers, emptied. */
static weft__http_xfer *xfer_take(weft_http_session *s) {
  weft__list *n;

  if (weft__list_empty(&s->idle_xfers))
    return NULL;
  n = s->idle_xfers.next;
  weft__list_remove(n);
  s->n_idle_xfers--;
  return weft__container_of(n, weft__http_xfer, link);
}

static weft__http_xfer *xfer_alloc(void) {
  weft__http_xfer *x = weft_calloc(1, sizeof *x);

  if (!x)
    return NULL;
  x->easy = curl_easy_init();
  if (!x->easy) {
    weft_free(x);
    return NULL;
  }
  return x;
}

int weft__http_xfer_new(weft_http_session *s, weft__http_xfer **out) {
  weft__http_xfer *x;

  if (weft__http_engine_reserve(s) < 0)
    return weft__http_fail(-ENOMEM, NULL);
  x = xfer_take(s);
  if (!x && !(x = xfer_alloc()))
    return weft__http_fail(-ENOMEM, NULL);
  x->s = s;
  x->bufsize = s->opts.read_bufsize ? s->opts.read_bufsize : 65536;
  if (!x->in.data) /* the last whole-body read took it: a freed body's */
    x->in.data = weft__http_body_take(s, 1, &x->in.cap);
  weft__list_insert_tail(&s->xfers, &x->link);
  s->n_xfers++;
  *out = x;
  return 0;
}

void weft__http_xfer_reset(weft__http_xfer *x) {
  weft__http_headers_free(x->headers);
  x->headers = NULL;
  x->raw.off = x->raw.len = 0;
  x->in.off = x->in.len = 0;
  x->up.off = x->up.len = 0;
  x->p_head = x->p_len = 0;
  x->status = x->version = 0;
  x->reason[0] = x->errbuf[0] = x->msg[0] = '\0';
  x->done = x->err = x->headers_done = x->discard = 0;
  x->paused_recv = x->paused_send = x->up_want = x->up_eof = 0;
  x->sink = 0;
  x->sink_limit = x->sink_refused = 0;
  x->result = CURLE_OK;
  curl_slist_free_all(x->resolve);
  x->resolve = NULL;
}

int weft__http_xfer_setopts(weft__http_xfer *x, const weft__http_opts *co) {
  int clean = x->opts_clean;
  int rc;

  x->opts_clean = 0; /* until this hop's transfer ends well */
  rc = weft__http_opts_apply(x->easy, &x->opts, clean, co);
  if (rc == 1)
    x->s->n_hops_kept++;
  return rc < 0 ? rc : 0;
}

int weft__http_xfer_start(weft__http_xfer *x) {
  weft_http_session *s = x->s;
  CURLMcode mc;

  x->activity = weft_time();
  mc = curl_multi_add_handle(s->multi, x->easy);
  if (mc != CURLM_OK)
    return weft__http_fail(mc == CURLM_OUT_OF_MEMORY ? -ENOMEM : -EIO, "curl_multi_add_handle: %s",
                           curl_multi_strerror(mc));
  x->attached = 1;
  return 0;
}

void weft__http_xfer_detach(weft__http_xfer *x) {
  if (!x->attached)
    return;
  x->opts_clean = 0;
  curl_multi_remove_handle(x->s->multi, x->easy);
  x->attached = 0;
}

/* Everything x owns for one request (what calloc would leave empty). */
static void xfer_clear(weft__http_xfer *x) {
  weft__http_headers_free(x->headers);
  curl_slist_free_all(x->resolve);
  weft__http_body_free(&x->body);
  curl_slist_free_all(x->headers_list);
}

static void xfer_destroy(weft__http_xfer *x) {
  xfer_clear(x);
  curl_easy_cleanup(x->easy);
  weft_free(x->opts);
  weft__http_buf_free(&x->raw);
  weft__http_buf_free(&x->in);
  weft__http_buf_free(&x->up);
  weft_free(x->pieces);
  weft_free(x);
}

static void buf_keep(weft__http_buf *b) {
  if (b->cap > IDLE_BUF_MAX)
    weft__http_buf_free(b);
  b->off = b->len = 0;
}

/* Back to the session's idle list, as xfer_alloc left it but for the
 * easy handle (reset at the next hop) and the buffers' memory. */
static void xfer_idle(weft_http_session *s, weft__http_xfer *x) {
  weft__http_xfer keep = *x;

  xfer_clear(x);
  buf_keep(&keep.raw);
  buf_keep(&keep.in);
  buf_keep(&keep.up);
  memset(x, 0, sizeof *x);
  x->easy = keep.easy;
  x->opts = keep.opts;
  x->opts_clean = keep.opts_clean;
  x->raw = keep.raw;
  x->in = keep.in;
  x->up = keep.up;
  x->pieces = keep.pieces;
  x->p_cap = keep.p_cap;
  weft__list_insert_tail(&s->idle_xfers, &x->link);
  s->n_idle_xfers++;
}

void weft__http_xfer_drop_idle(weft_http_session *s) {
  weft__http_xfer *x;

  while ((x = xfer_take(s)) != NULL)
    xfer_destroy(x);
}

void weft__http_xfer_free(weft__http_xfer *x) {
  weft_http_session *s;

  if (!x)
    return;
  s = x->s;
  weft__http_xfer_detach(x);
  weft__list_remove(&x->link);
  s->n_xfers--;
  if (!s->closed && s->n_idle_xfers < s->keep)
    xfer_idle(s, x);
  else
    xfer_destroy(x);
  if (s->n_xfers == 0 && s->closed)
    weft__http_engine_teardown(s);
  weft__http_session_release(s);
}

int weft__http_xfer_code(weft__http_xfer *x) {
  if (!x->err)
    return 0;
  if (x->err == -ENOMEM && !x->msg[0])
    return weft__http_fail(-ENOMEM, NULL);
  return weft__http_fail(x->err, "%s", x->msg[0] ? x->msg : weft_http_strerror(x->err));
}
