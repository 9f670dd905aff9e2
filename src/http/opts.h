/*
 * The curl options of one hop, gathered before they are set (opts.c).
 *
 * A session's requests mostly look alike: the same TLS, proxy, timeout,
 * decompression and callback options, with only the URL, the method, the
 * body and the header list changing. curl_easy_reset and setting all of
 * them again cost about a tenth of a small request's CPU, so a hop's
 * options are first written into a weft__http_opts, then compared with
 * the ones its easy handle got at its last hop: when both name the same
 * options in the same order (and the last transfer ended cleanly), the
 * handle is not reset and only the options that change per hop, or whose
 * value differs, are set again. Otherwise the handle is reset and every
 * option set, as before.
 */
#ifndef WEFT_HTTP_OPTS_H
#define WEFT_HTTP_OPTS_H

#include <curl/curl.h>
#include <stddef.h>

#define WEFT__HTTP_OPTS_MAX 48
#define WEFT__HTTP_OPTS_TEXT 1024

typedef enum weft__http_opt_kind {
  WEFT__HTTP_OPT_LONG,
  WEFT__HTTP_OPT_OFF,  /* curl_off_t */
  WEFT__HTTP_OPT_PTR,  /* a pointer or function curl keeps as given */
  WEFT__HTTP_OPT_TEXT, /* a string curl copies (NULL allowed) */
} weft__http_opt_kind;

typedef union weft__http_optval {
  long l;
  curl_off_t off;
  void *p;
  void (*fn)(void);
  const char *s; /* TEXT and every: the caller's string */
  size_t at;     /* TEXT otherwise: offset of a copy in text */
} weft__http_optval;

typedef struct weft__http_opt {
  CURLoption opt;
  unsigned char kind;  /* weft__http_opt_kind */
  unsigned char every; /* set again at every hop (URL, method, body, lists) */
  unsigned char null;  /* TEXT: the value is NULL */
  const char *what;    /* for the error message */
  weft__http_optval v;
} weft__http_opt;

typedef struct weft__http_opts {
  int n;
  int spilled; /* more than MAX options or TEXT bytes: never kept */
  size_t text_len;
  weft__http_opt e[WEFT__HTTP_OPTS_MAX];
  char text[WEFT__HTTP_OPTS_TEXT];
} weft__http_opts;

/* An empty set. */
void weft__http_opts_init(weft__http_opts *o);

/* Add an option; what names it in an error ("URL", "ca_file"). The
 * options that change per request (URL, method, body, header and
 * resolve lists: set_every_hop in opts.c) are set at every hop and
 * their strings must live until weft__http_opts_apply; other strings
 * are copied. Recording cannot fail: an option past the set's room
 * marks it spilled and is still set (the handle is then reset). */
void weft__http_opt_long(weft__http_opts *o, CURLoption opt, long v, const char *what);
void weft__http_opt_off(weft__http_opts *o, CURLoption opt, curl_off_t v, const char *what);
void weft__http_opt_ptr(weft__http_opts *o, CURLoption opt, void *p, const char *what);
void weft__http_opt_fn(weft__http_opts *o, CURLoption opt, void (*fn)(void), const char *what);
void weft__http_opt_str(weft__http_opts *o, CURLoption opt, const char *s, const char *what);

/*
 * Set next on easy. *last is what easy got at its last hop (NULL: none
 * kept; allocated here) and clean says that hop's transfer ended cleanly;
 * unless both hold and *last has the same options in the same order, easy
 * is reset first. next is copied into *last (when memory allows).
 * Returns 1 (easy kept its options), 0 (easy was reset), -ENOMEM or
 * -EINVAL (curl refused an option; message set).
 */
int weft__http_opts_apply(CURL *easy, weft__http_opts **last, int clean,
                          const weft__http_opts *next);

/* Forget what the handle got: its next hop resets it. */
void weft__http_opts_forget(weft__http_opts *last);

#endif /* WEFT_HTTP_OPTS_H */
