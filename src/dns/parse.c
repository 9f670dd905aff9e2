/*
 * DNS answers to typed records. The message framing (header, question,
 * resource records) is read here with bounds checks on every field; names
 * are expanded with c-ares' ares_expand_name (compression pointers).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "dns/internal.h"

#define HDR_LEN 12
#define RR_FIXED 10 /* type, class, ttl, rdlength */

typedef struct str_node {
  struct str_node *next;
  char s[];
} str_node;

/* A result and everything its records point to. */
typedef struct res_impl {
  weft_dns_result pub; /* first: the public pointer is this struct's */
  size_t cap;
  str_node *strings;
} res_impl;

/* One answer being read. */
typedef struct rd {
  const unsigned char *abuf;
  int alen;
  const unsigned char *p; /* the rdata */
  int len;                /* its length */
  res_impl *res;
} rd;

static uint16_t get16(const unsigned char *p) {
  return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void weft_dns_result_free(weft_dns_result *pub) {
  res_impl *res = (res_impl *)pub;

  if (!res)
    return;
  while (res->strings) {
    str_node *n = res->strings;

    res->strings = n->next;
    weft_free(n);
  }
  weft_free(res->pub.records);
  weft_free(res);
}

static char *str_keep(res_impl *res, const void *s, size_t len) {
  str_node *n = weft_malloc(sizeof *n + len + 1);

  if (!n)
    return NULL;
  memcpy(n->s, s, len);
  n->s[len] = '\0';
  n->next = res->strings;
  res->strings = n;
  return n->s;
}

/* Expand the name at p (inside the message); *used gets its encoded
 * length. 0, WEFT_DNS_EBADRESP or -ENOMEM. */
static int name_at(const rd *d, const unsigned char *p, const char **out, long *used) {
  char *s = NULL;
  int rc = ares_expand_name(p, d->abuf, d->alen, &s, used);

  if (rc == ARES_ENOMEM)
    return -ENOMEM;
  if (rc != ARES_SUCCESS)
    return WEFT_DNS_EBADRESP;
  *out = str_keep(d->res, s, strlen(s));
  ares_free_string(s);
  return *out ? 0 : -ENOMEM;
}

/* A name that must end exactly at the rdata's end when last. */
static int rd_name(const rd *d, int off, const char **out, int *next) {
  long used;
  int rc;

  if (off >= d->len)
    return WEFT_DNS_EBADRESP;
  rc = name_at(d, d->p + off, out, &used);
  if (rc < 0)
    return rc;
  if (off + used > d->len)
    return WEFT_DNS_EBADRESP;
  *next = off + (int)used;
  return 0;
}

/* A <character-string>: length octet, bytes. */
static int rd_string(const rd *d, int off, const char **out, size_t *len, int *next) {
  size_t n;

  if (off >= d->len || off + 1 + d->p[off] > d->len)
    return WEFT_DNS_EBADRESP;
  n = d->p[off];
  *out = str_keep(d->res, d->p + off + 1, n);
  if (!*out)
    return -ENOMEM;
  if (len)
    *len = n;
  *next = off + 1 + (int)n;
  return 0;
}

static int rd_end(const rd *d, int off) {
  return off == d->len ? 0 : WEFT_DNS_EBADRESP;
}

static int parse_addr(const rd *d, weft_dns_record *rec, int family, int size) {
  if (d->len != size)
    return WEFT_DNS_EBADRESP;
  memcpy(rec->u.addr.bytes, d->p, (size_t)size);
  inet_ntop(family, d->p, rec->u.addr.text, sizeof rec->u.addr.text);
  return 0;
}

static int parse_host(const rd *d, weft_dns_record *rec) {
  int end, rc = rd_name(d, 0, &rec->u.host, &end);

  return rc < 0 ? rc : rd_end(d, end);
}

static int parse_mx(const rd *d, weft_dns_record *rec) {
  int end, rc;

  if (d->len < 3)
    return WEFT_DNS_EBADRESP;
  rec->u.mx.priority = get16(d->p);
  rc = rd_name(d, 2, &rec->u.mx.host, &end);
  return rc < 0 ? rc : rd_end(d, end);
}

/* The character strings of the record, concatenated. */
static int parse_txt(const rd *d, weft_dns_record *rec) {
  char *buf = weft_malloc((size_t)d->len + 1), *kept;
  size_t n = 0;
  int off = 0;

  if (!buf)
    return -ENOMEM;
  while (off < d->len) {
    size_t l = d->p[off];

    if (off + 1 + (int)l > d->len) {
      weft_free(buf);
      return WEFT_DNS_EBADRESP;
    }
    memcpy(buf + n, d->p + off + 1, l);
    n += l;
    off += 1 + (int)l;
  }
  kept = str_keep(d->res, buf, n);
  weft_free(buf);
  rec->u.txt.text = kept;
  rec->u.txt.len = n;
  return kept ? 0 : -ENOMEM;
}

static int parse_srv(const rd *d, weft_dns_record *rec) {
  int end, rc;

  if (d->len < 7)
    return WEFT_DNS_EBADRESP;
  rec->u.srv.priority = get16(d->p);
  rec->u.srv.weight = get16(d->p + 2);
  rec->u.srv.port = get16(d->p + 4);
  rc = rd_name(d, 6, &rec->u.srv.host, &end);
  return rc < 0 ? rc : rd_end(d, end);
}

static int parse_soa(const rd *d, weft_dns_record *rec) {
  int off, rc = rd_name(d, 0, &rec->u.soa.nsname, &off);

  if (rc == 0)
    rc = rd_name(d, off, &rec->u.soa.hostmaster, &off);
  if (rc < 0)
    return rc;
  if (off + 20 != d->len)
    return WEFT_DNS_EBADRESP;
  rec->u.soa.serial = get32(d->p + off);
  rec->u.soa.refresh = get32(d->p + off + 4);
  rec->u.soa.retry = get32(d->p + off + 8);
  rec->u.soa.expire = get32(d->p + off + 12);
  rec->u.soa.minttl = get32(d->p + off + 16);
  return 0;
}

static int parse_naptr(const rd *d, weft_dns_record *rec) {
  int off = 4, rc;

  if (d->len < 4)
    return WEFT_DNS_EBADRESP;
  rec->u.naptr.order = get16(d->p);
  rec->u.naptr.preference = get16(d->p + 2);
  rc = rd_string(d, off, &rec->u.naptr.flags, NULL, &off);
  if (rc == 0)
    rc = rd_string(d, off, &rec->u.naptr.service, NULL, &off);
  if (rc == 0)
    rc = rd_string(d, off, &rec->u.naptr.regexp, NULL, &off);
  if (rc == 0)
    rc = rd_name(d, off, &rec->u.naptr.replacement, &off);
  return rc < 0 ? rc : rd_end(d, off);
}

static int parse_caa(const rd *d, weft_dns_record *rec) {
  int off, rc;

  if (d->len < 2 || d->p[1] == 0)
    return WEFT_DNS_EBADRESP;
  rec->u.caa.critical = d->p[0];
  rc = rd_string(d, 1, &rec->u.caa.property, NULL, &off);
  if (rc < 0)
    return rc;
  rec->u.caa.value = str_keep(d->res, d->p + off, (size_t)(d->len - off));
  rec->u.caa.value_len = (size_t)(d->len - off);
  return rec->u.caa.value ? 0 : -ENOMEM;
}

static int parse_rdata(const rd *d, weft_dns_record *rec) {
  switch (rec->type) {
  case WEFT_DNS_A:
    return parse_addr(d, rec, AF_INET, 4);
  case WEFT_DNS_AAAA:
    return parse_addr(d, rec, AF_INET6, 16);
  case WEFT_DNS_CNAME:
  case WEFT_DNS_NS:
  case WEFT_DNS_PTR:
    return parse_host(d, rec);
  case WEFT_DNS_MX:
    return parse_mx(d, rec);
  case WEFT_DNS_TXT:
    return parse_txt(d, rec);
  case WEFT_DNS_SRV:
    return parse_srv(d, rec);
  case WEFT_DNS_SOA:
    return parse_soa(d, rec);
  case WEFT_DNS_NAPTR:
    return parse_naptr(d, rec);
  case WEFT_DNS_CAA:
    return parse_caa(d, rec);
  default:
    return WEFT_DNS_EBADRESP;
  }
}

static weft_dns_record *rec_add(res_impl *res) {
  if (res->pub.count == res->cap) {
    size_t cap = res->cap ? res->cap * 2 : 4;
    weft_dns_record *v = weft_realloc(res->pub.records, cap * sizeof *v);

    if (!v)
      return NULL;
    res->pub.records = v;
    res->cap = cap;
  }
  memset(&res->pub.records[res->pub.count], 0, sizeof(weft_dns_record));
  return &res->pub.records[res->pub.count++];
}

/* Step over the question section; *off gets the first answer's offset. */
static int skip_questions(const unsigned char *abuf, int alen, int *off) {
  int qd = get16(abuf + 4);

  *off = HDR_LEN;
  for (int i = 0; i < qd; i++) {
    char *s = NULL;
    long used;

    if (*off >= alen || ares_expand_name(abuf + *off, abuf, alen, &s, &used) != ARES_SUCCESS)
      return WEFT_DNS_EBADRESP;
    ares_free_string(s);
    *off += (int)used + 4;
    if (*off > alen)
      return WEFT_DNS_EBADRESP;
  }
  return 0;
}

/* Read the answer record at *off; keep it when it is of `type`. */
static int parse_rr(rd *d, int *off, int type, uint32_t age) {
  const char *owner;
  long used;
  int rc;
  const unsigned char *f;
  weft_dns_record *rec;

  if (*off >= d->alen)
    return WEFT_DNS_EBADRESP;
  rc = name_at(d, d->abuf + *off, &owner, &used);
  if (rc < 0)
    return rc;
  f = d->abuf + *off + used;
  if (*off + used + RR_FIXED > d->alen)
    return WEFT_DNS_EBADRESP;
  d->p = f + RR_FIXED;
  d->len = get16(f + 8);
  *off += (int)used + RR_FIXED + d->len;
  if (*off > d->alen)
    return WEFT_DNS_EBADRESP;
  if (get16(f) != type || get16(f + 2) != WEFT__DNS_CLASS_IN)
    return 0;
  rec = rec_add(d->res);
  if (!rec)
    return -ENOMEM;
  rec->type = type;
  rec->name = owner;
  rec->ttl = get32(f + 4) & 0x7fffffffu; /* RFC 2181: top bit set means 0 */
  rec->ttl = rec->ttl > age ? rec->ttl - age : 0;
  return parse_rdata(d, rec);
}

int weft__dns_parse(const unsigned char *abuf, int alen, int type, uint32_t age,
                    weft_dns_result **out) {
  res_impl *res;
  rd d = {abuf, alen, NULL, 0, NULL};
  int off, an, rc;

  *out = NULL;
  if (!abuf || alen < HDR_LEN)
    return WEFT_DNS_EBADRESP;
  rc = skip_questions(abuf, alen, &off);
  if (rc < 0)
    return rc;
  res = weft_calloc(1, sizeof *res);
  if (!res)
    return -ENOMEM;
  d.res = res;
  an = get16(abuf + 6);
  for (int i = 0; i < an && rc == 0; i++)
    rc = parse_rr(&d, &off, type, age);
  if (rc == 0 && res->pub.count == 0)
    rc = WEFT_DNS_ENODATA;
  if (rc < 0) {
    weft_dns_result_free(&res->pub);
    return rc;
  }
  *out = &res->pub;
  return 0;
}

/* The smallest TTL among the answers of the type asked (the cache's
 * lifetime for the answer). */
uint32_t weft__dns_min_ttl(const unsigned char *abuf, int alen, int type) {
  weft_dns_result *res;
  uint32_t min = UINT32_MAX;

  if (weft__dns_parse(abuf, alen, type, 0, &res) < 0)
    return 0;
  for (size_t i = 0; i < res->count; i++)
    if (res->records[i].ttl < min)
      min = res->records[i].ttl;
  weft_dns_result_free(res);
  return min;
}
