/*
 * Port of the seeds' TLS settings (000 "如果出现ssl验证失败的处理", 001 "忽略SSL
 * 证书" and "加入证书"): an HTTPS server whose certificate the system does not
 * trust fails verification; TCPConnector(ssl=False) on the session, or
 * ssl=False on one request, skips it; ssl.create_default_context(cafile=...)
 * trusts the server's CA.
 *
 * The HTTPS base URL comes from WEFT_HTTPBIN_TLS (default
 * https://httpbin.org) and the CA file from WEFT_CA_FILE (or argv[1]).
 */
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

static char base[256];
static const char *cafile;

static int get(const char *title, const weft_http_session_opts *so,
               const weft_http_request_opts *ro) {
  weft_http_session *s;
  weft_http_response *r;
  char u[512];
  int rc;

  snprintf(u, sizeof u, "%s/get", base);
  if ((rc = weft_http_session_new(&s, so)) != 0)
    return rc;
  rc = weft_http_get(s, u, ro, &r);
  if (rc == 0)
    printf("%-34s %d %s\n", title, weft_http_response_status(r), weft_http_response_reason(r));
  else
    printf("%-34s %s: %s\n", title, weft_err_name(rc), weft_http_last_error());
  weft_http_response_free(r);
  weft_http_session_close(s);
  weft_http_session_free(s);
  return rc == WEFT_HTTP_ETLS_VERIFY ? 0 : rc;
}

static void *amain(void *arg) {
  weft_http_session_opts insecure = {.insecure = 1}, with_ca = {.ca_file = cafile};
  weft_http_request_opts ssl_false = {.insecure = 1};
  int rc;

  (void)arg;
  printf("GET %s/get\n", base);
  if ((rc = get("default (verify):", NULL, NULL)) == 0 &&
      (rc = get("TCPConnector(ssl=False):", &insecure, NULL)) == 0 &&
      (rc = get("session.get(url, ssl=False):", NULL, &ssl_false)) == 0 && cafile)
    rc = get("create_default_context(cafile):", &with_ca, NULL);
  return rc ? weft_fail(rc, "tls") : NULL;
}

int main(int argc, char **argv) {
  const char *b = getenv("WEFT_HTTPBIN_TLS");

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  cafile = argc > 1 ? argv[1] : getenv("WEFT_CA_FILE");
  if (cafile && !*cafile)
    cafile = NULL;
  return weft_run(amain, NULL, NULL) ? 1 : 0;
}
