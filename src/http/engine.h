/*
 * The HTTP client's engine, private to session.c, engine.c, xfer*.c,
 * redirect.c, request_run.c and close.c: the session (a curl multi handle
 * driven by uv_poll handles and one uv_timer on the session's loop) and
 * one transfer (a curl easy handle with its header, body and upload state).
 */
#ifndef WEFT_HTTP_ENGINE_H
#define WEFT_HTTP_ENGINE_H

#include "http/internal.h"

/* A socket curl asked us to watch. */
typedef struct weft__http_poll {
  uv_poll_t h;
  weft_http_session *s;
  curl_socket_t fd;
  int events;                   /* UV_READABLE | UV_WRITABLE started (0: stopped) */
  int wanted;                   /* curl watches it (no CURL_POLL_REMOVE since) */
  int kept;                     /* a connection's socket: outlives REMOVE */
  weft__list link;              /* s->polls while open */
  struct weft__http_poll *next; /* s->spare */
} weft__http_poll;

/*
 * The sockets curl opened for connections, by number: their poll handle
 * stays open (and readable) while the connection idles in curl's pool, so
 * reusing it costs no system call; it is closed from curl's close-socket
 * callback, just before the socket itself.
 */
typedef struct weft__http_sock {
  weft__http_poll *poll; /* NULL: none yet */
  int kept;              /* opened by curl (CURLOPT_SOCKOPTFUNCTION) */
} weft__http_sock;

#define WEFT__HTTP_SPARE_BODY_MAX ((size_t)256 * 1024)

typedef struct weft__http_dns_entry weft__http_dns_entry;

typedef struct weft__http_spare {
  char *buf;
  size_t cap;
} weft__http_spare;

struct weft_http_session {
  weft_loop *loop;
  weft_http_session_opts opts; /* every string a copy owned by the session */
  void **owned;                /* the copies, freed with the session */
  size_t n_owned;
  char *cookie_header; /* the initial cookies, "a=1; b=2" (NULL: none) */
  weft_cookie_jar *jar;
  int own_jar;
  CURLM *multi;
  uv_timer_t *timer;
  weft__list polls;       /* open poll handles */
  weft__http_poll *spare; /* allocated in advance, so curl's socket
                             callback never needs memory */
  size_t n_polls;         /* allocated (open, closing and spare) */
  size_t n_idle;          /* open for idle connections (kept, not wanted) */
  weft__http_sock *socks; /* by socket number */
  size_t n_socks;
  weft__list idle_xfers; /* finished transfers kept for reuse (easy
                            handle and buffers) */
  size_t n_idle_xfers;
  size_t n_hops_kept; /* hops whose easy handle kept its options (opts.h) */
  size_t n_responses; /* alive: they keep the session's memory */
  /* Finished transfers and body buffers of freed responses are kept for
   * the next requests, up to `keep` of each (as many as the connection
   * pool holds): freeing large blocks per request makes glibc trim the
   * top of its heap and fault it in again (docs/benchmarks.md,
   * "Concurrency 1000"). */
  size_t keep;
  weft__http_spare *spare_bodies; /* grown up to keep entries */
  size_t n_spare_bodies, spare_bodies_cap;
  int large_reads; /* a body filled curl's default receive buffer: the
                      next transfers get a larger one */
  int handles;     /* libuv handles not yet closed */
  int acting;      /* inside curl_multi_socket_action */
  double entered;  /* weft_time() when the engine last called into curl:
                      the time its callbacks stamp on a transfer */
  int closed, freed, torn;
  int curl_held;    /* counted in weft__http_curl_hold */
  weft__list xfers; /* transfers alive (attached to a request or response) */
  size_t n_xfers;
  size_t in_flight;                   /* requests waiting for their final headers */
  weft_task *closer;                  /* the task in weft_http_session_close */
  struct curl_slist *resolve_list;    /* opts.resolve for curl, built once */
  struct curl_slist *default_headers; /* Accept-Encoding, User-Agent: built
                                         at the first request */
  int default_headers_built;
  weft__http_dns_entry *dns; /* names looked up through opts.resolver */
  size_t n_dns;
};

struct weft__http_xfer {
  weft_http_session *s;
  weft__list link;
  CURL *easy;
  weft__http_opts *opts; /* what easy got at its last hop (NULL: none kept) */
  int opts_clean;        /* and that hop's transfer ended well */
  weft_task *task;       /* the task parked on this transfer, or NULL */
  int attached;          /* in the multi */
  int done;              /* curl finished it (result below) */
  CURLcode result;
  int err;          /* sticky weft code of a failed transfer */
  int connected;    /* a connection was made (for the error mapping) */
  int headers_done; /* a final (non-1xx) header block is complete */
  int discard;      /* redirect hop: the body is dropped */
  int paused_recv, paused_send;
  int in_flight;   /* counted in s->in_flight */
  double activity; /* weft_time() of the last bytes from the server */
  char errbuf[CURL_ERROR_SIZE];
  char msg[256]; /* the message of err */
  /* Header block of the response being received. */
  int status, version;
  char reason[64];
  weft_http_headers *headers;
  weft__http_buf raw;
  /* Body. */
  weft__http_buf in;
  size_t bufsize;
  /* A whole-body read is waiting: the body gathers in `in` with no
   * pause at bufsize, up to sink_limit bytes (SIZE_MAX: none); a write
   * that would pass it is refused (sink_refused: its length) and wakes
   * the reader. */
  int sink;
  size_t sink_limit, sink_refused;
  long recv_size; /* curl's receive buffer (CURLOPT_BUFFERSIZE) */
  size_t *pieces; /* lengths of the unread pieces as they arrived (ring) */
  size_t p_head, p_len, p_cap;
  /* The request body (owned: curl may read it until the transfer ends). */
  weft__http_body body;
  int body_set;
  weft__http_buf up;
  int up_want, up_eof;
  weft_scope *source_scope; /* while the task runs the body's source */
  struct curl_slist *resolve;
  struct curl_slist *headers_list; /* CURLOPT_HTTPHEADER of the hop */
};

/* ---- engine.c ------------------------------------------------------ */
int weft__http_engine_init(weft_http_session *s);
/* Close the sockets' handles, clean the multi up, close the timer. */
void weft__http_engine_teardown(weft_http_session *s);
/* The session's memory goes with its last handle once freed. */
void weft__http_session_release(weft_http_session *s);
/* Have room for the polls of one more transfer. */
int weft__http_engine_reserve(weft_http_session *s);

/* Add the engine's socket callbacks to a hop's options. */
void weft__http_engine_easy(weft_http_session *s, weft__http_opts *co);

/* A request got its headers or failed: wake a waiting close(). */
void weft__http_session_settled(weft_http_session *s);

/* ---- xfer.c -------------------------------------------------------- */
int weft__http_xfer_new(weft_http_session *s, weft__http_xfer **out);
/* Clear the header and body state for the next hop. */
void weft__http_xfer_reset(weft__http_xfer *x);
/* Set the hop's options on the easy handle (opts.h: kept where they
 * match the last hop's). 0, -ENOMEM, -EINVAL (message set). */
int weft__http_xfer_setopts(weft__http_xfer *x, const weft__http_opts *co);
/* Add the engine's callbacks to the hop's options. */
void weft__http_xfer_callbacks(weft__http_xfer *x, weft__http_opts *co);
int weft__http_xfer_start(weft__http_xfer *x);
/* Take the transfer out of the multi (its connection is closed unless
 * the transfer completed). */
void weft__http_xfer_detach(weft__http_xfer *x);
void weft__http_xfer_free(weft__http_xfer *x);
/* Called by the engine when curl finishes x. */
void weft__http_xfer_finished(weft__http_xfer *x, CURLcode result);
/* Fail x with code (sticky) and wake its task. */
void weft__http_xfer_fail(weft__http_xfer *x, int code);
/* Apply paused_recv/paused_send. */
void weft__http_xfer_pause(weft__http_xfer *x);
/* Park until cond(x) or the transfer ends, honouring deadline (0: none)
 * and sock_read (0: none). Runs the upload pump. Returns 0, -ETIMEDOUT,
 * WEFT_HTTP_EREAD_TIMEOUT, -ECANCELED, the source's error. */
int weft__http_xfer_wait(weft__http_xfer *x, int (*cond)(weft__http_xfer *), double deadline,
                         double sock_read);
/* The code of a transfer that ended (0 when it succeeded). */
int weft__http_xfer_code(weft__http_xfer *x);

/* Free the transfers kept for reuse (teardown). */
void weft__http_xfer_drop_idle(weft_http_session *s);

/* ---- dns_cache.c --------------------------------------------------- */
/* The CURLOPT_RESOLVE line cached for "host:port", NULL when there is
 * none or it has expired. */
const char *weft__http_dns_get(weft_http_session *s, const char *key);
/* Keep line for key for the session's ttl_dns_cache (nothing when the
 * cache is off; an allocation failure just leaves it out). */
void weft__http_dns_put(weft_http_session *s, const char *key, const char *line);
void weft__http_dns_free(weft_http_session *s);

/* ---- redirect.c ---------------------------------------------------- */
typedef struct weft__http_req weft__http_req;
/* Was the hop just received a redirect to follow? 1 yes, 0 no. */
int weft__http_redirect_wanted(weft__http_req *q);
/* Record the hop in the history and move q to the Location. */
int weft__http_redirect_follow(weft__http_req *q);

/* A request in progress (request_run.c). */
struct weft__http_req {
  weft_http_session *s;
  const weft_http_request_opts *ro;
  weft_http_request_opts hop_ro; /* ro without a body after a 303 */
  char *original_url;
  char method[32];
  const char *methodp; /* method, or the caller's when longer */
  char *url;
  int auth_allowed;
  int keep_body; /* the hop sends the request's body */
  int max_redirects;
  double deadline, sock_read;
  weft__http_xfer *x;
  weft_http_response *r;
  weft__http_hop *history;
  size_t n_history;
  weft_cookie *cookies;
  size_t n_cookies;
};

/* Set up the transfer of q's next hop (request_hop.c). */
int weft__http_hop_setup(weft__http_req *q);
/* Store the Set-Cookie values of the hop just received (request_hop.c). */
int weft__http_req_cookies(weft__http_req *q);

#endif /* WEFT_HTTP_ENGINE_H */
