/* Cookie parsing shared by the jar (cookie*.c) and the engine. */
#ifndef WEFT_HTTP_COOKIE_H
#define WEFT_HTTP_COOKIE_H

#include "weft/http.h"

/*
 * Parse one Set-Cookie header value received from url into *out, with
 * the defaults RFC 6265 gives (domain: url's host, host_only; path: the
 * default path of url; Max-Age turned into expires). Every string of *out
 * is owned by it (free with weft__http_cookie_clear). Returns 0, -EINVAL
 * (no name=value pair, or a Domain that does not domain-match url's host),
 * -ENOMEM.
 */
int weft__http_cookie_parse(const char *set_cookie, const char *url, weft_cookie *out);
void weft__http_cookie_clear(weft_cookie *c);

#endif /* WEFT_HTTP_COOKIE_H */
