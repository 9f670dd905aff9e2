/* The framed channel between a pool and its children (src/process/chan.c),
 * fed by a plain thread writing raw bytes: frames split at every byte,
 * many frames in one write, a frame kept past its callback while more
 * arrive, a frame larger than a slab, a truncated frame, and a header
 * claiming more bytes than memory can hold. */
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "process/internal.h"
#include "test.h"

#define MAX_FRAMES 64

typedef struct feed {
  int fd;
  const char *bytes;
  size_t len;
  size_t step; /* bytes per write */
  int hold;    /* then keep the socket open until the channel closes */
} feed;

typedef struct sink {
  weft__chan ch;
  weft__slab *slab;
  int keep; /* keep every payload, as a child keeps ITEMS frames */
  size_t n;
  weft__pframe hdr[MAX_FRAMES];
  char *copy[MAX_FRAMES];      /* the payload as it arrived */
  char *at[MAX_FRAMES];        /* where it arrived (kept ones) */
  weft__slab *blk[MAX_FRAMES]; /* kept ones */
  int eof;
  weft_future *done;
} sink;

static void *feed_main(void *arg) {
  feed *f = arg;

  for (size_t off = 0; off < f->len;) {
    size_t n = f->len - off < f->step ? f->len - off : f->step;
    ssize_t w = send(f->fd, f->bytes + off, n, MSG_NOSIGNAL);

    if (w <= 0)
      break;
    off += (size_t)w;
    if (f->hold) /* each write its own read: the last one finds the header */
      usleep(20000);
  }
  for (char c; f->hold && read(f->fd, &c, 1) > 0;)
    ;
  close(f->fd);
  return NULL;
}

static void on_frame(weft__chan *ch, const weft__pframe *h, char *payload) {
  sink *s = ch->data;

  ASSERT_LT(s->n, MAX_FRAMES);
  s->hdr[s->n] = *h;
  s->copy[s->n] = malloc(h->len + 1);
  memcpy(s->copy[s->n], payload, h->len);
  if (s->keep) {
    s->blk[s->n] = weft__chan_keep(ch);
    s->at[s->n] = payload;
  }
  s->n++;
}

static void on_eof(weft__chan *ch, int err) {
  sink *s = ch->data;

  s->eof = err;
  weft_future_set_result(s->done, NULL);
}

static void on_closed(uv_handle_t *h) {
  sink *s = ((weft__chan *)h->data)->data;

  weft__chan_dispose(&s->ch);
  weft__slab_drop(&s->slab);
  weft_future_set_result(s->done, NULL);
}

/* Feed bytes step at a time into a channel until it reports EOF or an
 * error; s gets the frames. The channel is closed and disposed after. */
static void run_feed(sink *s, const char *bytes, size_t len, size_t step, int hold) {
  int sv[2];
  feed f;
  pthread_t th;

  ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
  f = (feed){sv[1], bytes, len, step, hold};
  s->ch.data = s;
  s->ch.on_frame = on_frame;
  s->ch.on_eof = on_eof;
  ASSERT_OK(weft_future_new(&s->done, NULL));
  ASSERT_OK(weft__chan_open(&s->ch, weft_loop_uv(weft_loop_current()), sv[0], &s->slab));
  ASSERT_OK(pthread_create(&th, NULL, feed_main, &f));
  ASSERT_OK(weft_future_await(s->done, NULL));
  weft_future_release(s->done);
  ASSERT_OK(weft_future_new(&s->done, NULL));
  uv_close((uv_handle_t *)&s->ch.pipe, on_closed);
  ASSERT_OK(weft_future_await(s->done, NULL)); /* closed, slab dropped */
  weft_future_release(s->done);
  ASSERT_OK(pthread_join(th, NULL));
}

/* After run_feed: check frame i, then let it go. */
static void check_frame(sink *s, size_t i, uint32_t kind, const char *payload, size_t len) {
  ASSERT_EQ(kind, s->hdr[i].kind);
  ASSERT_EQ(len, s->hdr[i].len);
  ASSERT_OK(memcmp(s->copy[i], payload, len));
  if (s->keep) /* still there, untouched by what was read after it */
    ASSERT_OK(memcmp(s->at[i], payload, len));
}

static void sink_finish(sink *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->copy[i]);
    if (s->keep)
      weft__slab_put(s->blk[i]); /* the last frees the block */
  }
}

/* Append a frame of kind with payload p (len bytes) at buf + *off. */
static void put_frame(char *buf, size_t *off, uint32_t kind, const char *p, size_t len) {
  weft__pframe h = {kind, 1, len};

  memcpy(buf + *off, &h, sizeof h);
  memcpy(buf + *off + sizeof h, p, len);
  *off += sizeof h + len;
}

/* Three frames (one empty), then EOF; written 1, 7, 64 KiB at a time. */
static void *split_main(void *arg) {
  static const size_t steps[] = {1, 7, 65536};
  char buf[256], big[100];
  size_t len = 0;

  (void)arg;
  memset(big, 'b', sizeof big);
  put_frame(buf, &len, WEFT__PF_RESULTS, "hello", 5);
  put_frame(buf, &len, WEFT__PF_READY, "", 0);
  put_frame(buf, &len, WEFT__PF_ITEMS, big, sizeof big);
  for (size_t k = 0; k < 3; k++) {
    for (int keep = 0; keep < 2; keep++) {
      sink s = {.keep = keep};

      run_feed(&s, buf, len, steps[k], 0);
      ASSERT_EQ(3, s.n);
      ASSERT_EQ(UV_EOF, s.eof);
      check_frame(&s, 0, WEFT__PF_RESULTS, "hello", 5);
      check_frame(&s, 1, WEFT__PF_READY, "", 0);
      check_frame(&s, 2, WEFT__PF_ITEMS, big, sizeof big);
      sink_finish(&s);
    }
  }
  return NULL;
}

TEST_IMPL(process_chan_frames_split_anywhere) {
  ASSERT_OK(weft_test_run(split_main, NULL, NULL));
  return 0;
}

/* 40 frames of 40 KiB each in one stream: more than a slab, kept or not. */
static void *many_main(void *arg) {
  size_t fl = 40 * 1024, n = 40, len = 0;
  char *buf = malloc(n * (fl + sizeof(weft__pframe))), *p = malloc(fl);

  (void)arg;
  for (size_t i = 0; i < n; i++) {
    memset(p, 'a' + (int)(i % 26), fl);
    put_frame(buf, &len, WEFT__PF_ITEMS, p, fl);
  }
  for (int keep = 0; keep < 2; keep++) {
    sink s = {.keep = keep};

    run_feed(&s, buf, len, len, 0);
    ASSERT_EQ(n, s.n);
    for (size_t i = 0; i < n; i++) {
      memset(p, 'a' + (int)(i % 26), fl);
      check_frame(&s, i, WEFT__PF_ITEMS, p, fl);
    }
    sink_finish(&s);
  }
  free(buf);
  free(p);
  return NULL;
}

TEST_IMPL(process_chan_many_frames_kept_or_not) {
  ASSERT_OK(weft_test_run(many_main, NULL, NULL));
  return 0;
}

/* A 3 MiB frame (a block of its own) between two small ones. */
static void *large_main(void *arg) {
  size_t fl = 3u << 20, len = 0;
  char *buf = malloc(fl + 64 + 3 * sizeof(weft__pframe)), *p = malloc(fl);

  (void)arg;
  for (size_t i = 0; i < fl; i++)
    p[i] = (char)(i * 7);
  put_frame(buf, &len, WEFT__PF_RESULTS, "x", 1);
  put_frame(buf, &len, WEFT__PF_ITEMS, p, fl);
  put_frame(buf, &len, WEFT__PF_RESULTS, "yz", 2);
  for (int keep = 0; keep < 2; keep++) {
    sink s = {.keep = keep};

    run_feed(&s, buf, len, 100000, 0);
    ASSERT_EQ(3, s.n);
    check_frame(&s, 0, WEFT__PF_RESULTS, "x", 1);
    check_frame(&s, 1, WEFT__PF_ITEMS, p, fl);
    check_frame(&s, 2, WEFT__PF_RESULTS, "yz", 2);
    sink_finish(&s);
  }
  free(buf);
  free(p);
  return NULL;
}

TEST_IMPL(process_chan_frame_larger_than_a_slab) {
  ASSERT_OK(weft_test_run(large_main, NULL, NULL));
  return 0;
}

/* A frame cut short by EOF is not delivered; the one before it is. */
static void *truncated_main(void *arg) {
  char buf[64];
  size_t len = 0;

  (void)arg;
  put_frame(buf, &len, WEFT__PF_RESULTS, "whole", 5);
  put_frame(buf, &len, WEFT__PF_RESULTS, "cut short", 9);
  for (size_t cut = len - 9 - sizeof(weft__pframe); cut < len; cut++) {
    sink s = {.keep = (int)(cut & 1)};

    run_feed(&s, buf, cut, 3, 0);
    ASSERT_EQ(1, s.n);
    ASSERT_EQ(UV_EOF, s.eof);
    check_frame(&s, 0, WEFT__PF_RESULTS, "whole", 5);
    sink_finish(&s);
  }
  return NULL;
}

TEST_IMPL(process_chan_truncated_frame_not_delivered) {
  ASSERT_OK(weft_test_run(truncated_main, NULL, NULL));
  return 0;
}

/* A header claiming more than the largest frame (4 GiB), or 2^62 bytes,
 * from a peer that stays connected: reading fails with UV_ENOBUFS, nothing
 * is delivered and nothing is allocated for it. (A peer that closes first
 * gives UV_EOF: the frame is cut short.) */
static void *oversized_main(void *arg) {
  static const uint64_t lens[] = {WEFT__FRAME_MAX + 1, (uint64_t)1 << 62, UINT64_MAX};

  (void)arg;
  for (size_t k = 0; k < 3; k++) {
    weft__pframe h = {WEFT__PF_RESULTS, 1, lens[k]};
    char buf[sizeof h + 16];
    sink s = {0};

    memcpy(buf, &h, sizeof h);
    memset(buf + sizeof h, 'z', 16);
    run_feed(&s, buf, sizeof buf, 8, 1);
    ASSERT_EQ(0, s.n);
    ASSERT_EQ(UV_ENOBUFS, s.eof);
    sink_finish(&s);
  }
  return NULL;
}

TEST_IMPL(process_chan_oversized_header_fails) {
  ASSERT_OK(weft_test_run(oversized_main, NULL, NULL));
  return 0;
}
