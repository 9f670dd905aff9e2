/* Names and messages of the DNS codes, and the record type names. */
#include <strings.h>

#include "dns/internal.h"

/* clang-format off */
#define WEFT__DNS_CODES(X) \
  X(WEFT_DNS_ENXDOMAIN, "NXDOMAIN", "domain name not found (NXDOMAIN)") \
  X(WEFT_DNS_ENODATA, "NODATA", "no record of the requested type") \
  X(WEFT_DNS_ESERVFAIL, "SERVFAIL", "server failure (SERVFAIL)") \
  X(WEFT_DNS_EREFUSED, "REFUSED", "query refused by the server (REFUSED)") \
  X(WEFT_DNS_EBADRESP, "BADRESP", "malformed DNS response") \
  X(WEFT_DNS_EFORMERR, "FORMERR", "server could not interpret the query (FORMERR)") \
  X(WEFT_DNS_ENOTIMP, "NOTIMP", "query not implemented by the server (NOTIMP)") \
  X(WEFT_DNS_EBADNAME, "BADNAME", "malformed domain name") \
  X(WEFT_DNS_ECONNREFUSED, "CONNREFUSED", "could not contact any DNS server")
/* clang-format on */

const char *weft_dns_err_name(int err) {
  switch (err) {
#define WEFT__DNS_NAME(code, name, text) \
  case code:                             \
    return name;
    WEFT__DNS_CODES(WEFT__DNS_NAME)
#undef WEFT__DNS_NAME
  default:
    return weft_err_name(err);
  }
}

const char *weft_dns_strerror(int err) {
  switch (err) {
#define WEFT__DNS_TEXT(code, name, text) \
  case code:                             \
    return text;
    WEFT__DNS_CODES(WEFT__DNS_TEXT)
#undef WEFT__DNS_TEXT
  case -ETIMEDOUT:
    return "timed out";
  default:
    return weft_strerror(err);
  }
}

static const char *dns_name(int err) {
  return weft_dns_err_name(err);
}

static const char *dns_text(int err) {
  return weft_dns_strerror(err);
}

/* weft_strerror and weft_err_name know the resolver's codes. */
__attribute__((constructor)) static void register_dns_codes(void) {
  static weft__err_range range = {
      .lo = WEFT_DNS_ECONNREFUSED, .hi = WEFT_DNS_ENXDOMAIN, .name = dns_name, .text = dns_text};

  weft__err_register(&range);
}

static const struct {
  int type;
  const char *name;
} types[] = {
    {WEFT_DNS_A, "A"},         {WEFT_DNS_NS, "NS"},     {WEFT_DNS_CNAME, "CNAME"},
    {WEFT_DNS_SOA, "SOA"},     {WEFT_DNS_PTR, "PTR"},   {WEFT_DNS_MX, "MX"},
    {WEFT_DNS_TXT, "TXT"},     {WEFT_DNS_AAAA, "AAAA"}, {WEFT_DNS_SRV, "SRV"},
    {WEFT_DNS_NAPTR, "NAPTR"}, {WEFT_DNS_CAA, "CAA"},
};

int weft_dns_type_from_name(const char *name) {
  if (!name)
    return 0;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcasecmp(types[i].name, name) == 0)
      return types[i].type;
  return 0;
}

const char *weft_dns_type_name(int type) {
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (types[i].type == type)
      return types[i].name;
  return "?";
}
