/* The c-ares resolver's lifetime and the loop integration. */
#include <errno.h>

#include "dns/internal.h"

int weft_resolver_getaddrinfo(weft_resolver *r, const char *host, const char *service,
                              const struct addrinfo *hints, struct addrinfo **res) {
  if (!r)
    return weft_getaddrinfo(host, service, hints, res);
  return -ENOSYS;
}
