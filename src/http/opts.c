/*
 * A hop's curl options, gathered, compared with the handle's last ones
 * and set (opts.h says why).
 */
#include <errno.h>
#include <string.h>

#include "core/internal.h"
#include "http/opts.h"
#include "http/request.h"

void weft__http_opts_init(weft__http_opts *o) {
  o->n = 0;
  o->spilled = 0;
  o->text_len = 0;
}

/* The options that change from one request to the next: set at every
 * hop whatever the last one had (a string of theirs is not copied). */
static int set_every_hop(CURLoption opt) {
  switch (opt) {
  case CURLOPT_URL:
  case CURLOPT_HTTPGET:
  case CURLOPT_NOBODY:
  case CURLOPT_POST:
  case CURLOPT_CUSTOMREQUEST:
  case CURLOPT_POSTFIELDS:
  case CURLOPT_POSTFIELDSIZE_LARGE:
  case CURLOPT_MIMEPOST:
  case CURLOPT_HTTPHEADER:
  case CURLOPT_RESOLVE:
    return 1;
  default:
    return 0;
  }
}

/* Add an entry; NULL when the set is full (then spilled). */
static weft__http_opt *add(weft__http_opts *o, CURLoption opt, int kind, const char *what,
                           weft__http_optval v) {
  int every = set_every_hop(opt);
  weft__http_opt *e;

  if (o->n == WEFT__HTTP_OPTS_MAX) {
    o->spilled = 1;
    return NULL;
  }
  e = &o->e[o->n++];
  e->opt = opt;
  e->kind = (unsigned char)kind;
  e->every = (unsigned char)every;
  e->null = kind == WEFT__HTTP_OPT_TEXT && v.s == NULL;
  e->what = what;
  e->v = v;
  return e;
}

void weft__http_opt_long(weft__http_opts *o, CURLoption opt, long v, const char *what) {
  add(o, opt, WEFT__HTTP_OPT_LONG, what, (weft__http_optval){.l = v});
}

void weft__http_opt_off(weft__http_opts *o, CURLoption opt, curl_off_t v, const char *what) {
  add(o, opt, WEFT__HTTP_OPT_OFF, what, (weft__http_optval){.off = v});
}

void weft__http_opt_ptr(weft__http_opts *o, CURLoption opt, void *p, const char *what) {
  add(o, opt, WEFT__HTTP_OPT_PTR, what, (weft__http_optval){.p = p});
}

void weft__http_opt_fn(weft__http_opts *o, CURLoption opt, void (*fn)(void), const char *what) {
  add(o, opt, WEFT__HTTP_OPT_PTR, what, (weft__http_optval){.fn = fn});
}

/* A copy of s in o->text, kept for the comparison at the next hop. A
 * string that does not fit spills the set; it is then set from s
 * itself, which the caller keeps until the options are applied. */
void weft__http_opt_str(weft__http_opts *o, CURLoption opt, const char *s, const char *what) {
  size_t n = s ? strlen(s) + 1 : 0;
  weft__http_opt *e;

  if (set_every_hop(opt)) {
    add(o, opt, WEFT__HTTP_OPT_TEXT, what, (weft__http_optval){.s = s});
    return;
  }
  if (n > sizeof o->text - o->text_len) {
    o->spilled = 1; /* set from s itself, never compared */
    e = add(o, opt, WEFT__HTTP_OPT_TEXT, what, (weft__http_optval){.s = s});
    if (e)
      e->every = 1;
    return;
  }
  e = add(o, opt, WEFT__HTTP_OPT_TEXT, what, (weft__http_optval){.at = o->text_len});
  if (!e)
    return;
  e->null = s == NULL;
  if (s)
    memcpy(o->text + o->text_len, s, n);
  o->text_len += n;
}

/* ---- applying ------------------------------------------------------------ */

static const char *text_of(const weft__http_opts *o, const weft__http_opt *e) {
  if (e->null)
    return NULL;
  return e->every ? e->v.s : o->text + e->v.at;
}

static int same_shape(const weft__http_opts *a, const weft__http_opts *b) {
  if (a->spilled || b->spilled || a->n != b->n)
    return 0;
  for (int i = 0; i < a->n; i++)
    if (a->e[i].opt != b->e[i].opt || a->e[i].kind != b->e[i].kind ||
        a->e[i].every != b->e[i].every)
      return 0;
  return 1;
}

/* Entry i of b has the value entry i of a has. */
static int same_value(const weft__http_opts *a, const weft__http_opts *b, int i) {
  const weft__http_opt *x = &a->e[i], *y = &b->e[i];
  const char *sx, *sy;

  switch (x->kind) {
  case WEFT__HTTP_OPT_LONG:
    return x->v.l == y->v.l;
  case WEFT__HTTP_OPT_OFF:
    return x->v.off == y->v.off;
  case WEFT__HTTP_OPT_PTR:
    return memcmp(&x->v, &y->v, sizeof x->v) == 0;
  default:
    sx = text_of(a, x);
    sy = text_of(b, y);
    return sx == sy || (sx && sy && strcmp(sx, sy) == 0);
  }
}

static CURLcode set_one(CURL *easy, const weft__http_opts *o, const weft__http_opt *e) {
  switch (e->kind) {
  case WEFT__HTTP_OPT_LONG:
    return curl_easy_setopt(easy, e->opt, e->v.l);
  case WEFT__HTTP_OPT_OFF:
    return curl_easy_setopt(easy, e->opt, e->v.off);
  case WEFT__HTTP_OPT_PTR:
    return curl_easy_setopt(easy, e->opt, e->v.p);
  default:
    return curl_easy_setopt(easy, e->opt, text_of(o, e));
  }
}

static int set_fail(CURLcode cc, const char *what) {
  if (cc == CURLE_OUT_OF_MEMORY)
    return weft__http_fail(-ENOMEM, NULL);
  return weft__http_fail(-EINVAL, "%s: %s", what, curl_easy_strerror(cc));
}

/* Keep next as the handle's options (a copy of the used part). */
static void keep(weft__http_opts **last, const weft__http_opts *next) {
  if (!*last && !(*last = weft_malloc(sizeof **last)))
    return;
  (*last)->n = next->n;
  (*last)->spilled = next->spilled;
  (*last)->text_len = next->text_len;
  memcpy((*last)->e, next->e, (size_t)next->n * sizeof next->e[0]);
  memcpy((*last)->text, next->text, next->text_len);
}

int weft__http_opts_apply(CURL *easy, weft__http_opts **last, int clean,
                          const weft__http_opts *next) {
  int kept = clean && *last && same_shape(*last, next);
  int changed = !kept;

  if (!kept)
    curl_easy_reset(easy);
  for (int i = 0; i < next->n; i++) {
    const weft__http_opt *e = &next->e[i];
    CURLcode cc;

    if (kept && !e->every) {
      if (same_value(*last, next, i))
        continue;
      changed = 1;
    }
    cc = set_one(easy, next, e);
    if (cc != CURLE_OK) {
      weft__http_opts_forget(*last);
      return set_fail(cc, e->what);
    }
  }
  /* what is kept is only ever compared on its options that are not set
   * at every hop, so it needs no copy when none of those changed */
  if (changed)
    keep(last, next);
  return kept;
}

void weft__http_opts_forget(weft__http_opts *last) {
  if (last)
    last->spilled = 1;
}
