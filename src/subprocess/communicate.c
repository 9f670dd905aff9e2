/*
 * communicate: feed stdin while two tasks read stdout and stderr to their
 * ends, so neither side can fill a pipe and stall the other; then wait for
 * the exit. The reader tasks never outlive the call.
 */
#include "internal.h"

#define FEED_CHUNK (256u * 1024u)

typedef struct sp_reader {
  weft_stream *stream;
  weft_task *task;
  char *buf;
  size_t len;
  int rc;
} sp_reader;

static void *reader_main(void *arg) {
  sp_reader *r = arg;

  r->rc = weft_stream_read_all(r->stream, &r->buf, &r->len);
  return NULL;
}

static int readers_start(sp_reader *rd) {
  weft_spawn_opts so = {.name = "communicate reader", .stack_size = 64 * 1024};
  int rc;

  for (int i = 0; i < 2; i++) {
    if (!rd[i].stream)
      continue;
    if ((rc = weft_spawn(&rd[i].task, reader_main, &rd[i], &so)) != 0)
      return rc;
  }
  return 0;
}

/* Wait for both readers; an interruption of the caller cancels them. */
static int readers_join(sp_reader *rd) {
  int rc = 0;

  for (int i = 0; i < 2 && rc == 0; i++)
    if (rd[i].task && !weft_task_done(rd[i].task))
      rc = weft_await(rd[i].task, NULL);
  if (rc == -ECANCELED && weft__scope_pending(weft__current()) == 0)
    rc = 0; /* a reader was cancelled, not us: its own rc says so */
  return rc;
}

/* Make sure no reader runs past the call: cancel, then wait shielded. */
static void readers_stop(sp_reader *rd) {
  weft_scope shield;

  weft_shield_enter(&shield);
  for (int i = 0; i < 2; i++) {
    if (!rd[i].task)
      continue;
    if (!weft_task_done(rd[i].task)) {
      weft_task_cancel(rd[i].task);
      weft_await(rd[i].task, NULL);
    }
    weft_task_release(rd[i].task);
    rd[i].task = NULL;
  }
  weft_shield_leave(&shield);
}

static int broken_pipe(int rc) {
  return rc == -EPIPE || rc == -ECONNRESET;
}

/* Write input in chunks (bounded buffering), then close stdin. A child
 * that closed its stdin is not an error. */
static int feed(weft_stream *in, const char *data, size_t len) {
  size_t off = 0;
  int rc = 0;

  while (off < len && rc == 0) {
    size_t n = len - off < FEED_CHUNK ? len - off : FEED_CHUNK;
    if ((rc = weft_stream_write(in, data + off, n)) == 0)
      rc = weft_stream_drain(in);
    off += n;
  }
  if (rc && !broken_pipe(rc))
    return rc;
  weft_stream_close(in);
  return 0;
}

static void hand_out(sp_reader *r, char **buf, size_t *len) {
  if (buf)
    *buf = r->buf;
  else
    weft_free(r->buf);
  if (len)
    *len = r->len;
  r->buf = NULL;
}

static int communicate_body(weft_subprocess *p, sp_reader *rd, const void *input, size_t inlen) {
  int rc = readers_start(rd);

  if (rc == 0 && p->pipes[0])
    rc = feed(p->pipes[0], input, inlen);
  if (rc == 0)
    rc = readers_join(rd);
  readers_stop(rd);
  for (int i = 0; i < 2 && rc == 0; i++)
    rc = rd[i].stream ? rd[i].rc : 0;
  if (rc == 0)
    rc = weft_subprocess_wait(p, NULL);
  return rc;
}

static void outputs_clear(char **out, size_t *outlen, char **err, size_t *errlen) {
  if (out)
    *out = NULL;
  if (err)
    *err = NULL;
  if (outlen)
    *outlen = 0;
  if (errlen)
    *errlen = 0;
}

int weft_subprocess_communicate(weft_subprocess *p, const void *input, size_t inlen, char **out,
                                size_t *outlen, char **err, size_t *errlen) {
  sp_reader rd[2] = {{0}, {0}};
  int rc;

  outputs_clear(out, outlen, err, errlen);
  if (!p || (inlen && (!input || !p->pipes[0])))
    return -EINVAL;
  if (!weft__current())
    return -EPERM;
  rd[0].stream = p->pipes[1];
  rd[1].stream = p->pipes[2];
  rc = communicate_body(p, rd, input, inlen);
  if (rc) {
    weft_free(rd[0].buf);
    weft_free(rd[1].buf);
    return rc;
  }
  hand_out(&rd[0], out, outlen);
  hand_out(&rd[1], err, errlen);
  return 0;
}
