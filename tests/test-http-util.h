/*
 * HTTP test peers (test-http-peers.c): real servers on 127.0.0.1 with an
 * ephemeral port, started by the test and stopped (killed, reaped, their
 * scratch dir removed) by http_peer_stop. A peer dies with the test process
 * (PR_SET_PDEATHSIG), so a test that times out leaves no strays. Startup
 * waits up to 10 s and polls every 10 ms. (The proxies and nginx of the
 * shared peer interface are not here yet: httpbin only.)
 *
 * httpbin (tests/servers/httpbin.py, aiohttp): httpbin.org's routes and JSON
 * shapes, plus the error-path routes listed at the top of that file. Fixed
 * bodies the client tests can compare against:
 *   /encoding/gb2312        "<html><body><p>你好，世界</p></body></html>\n" in GB2312
 *   /encoding/windows-1251  "<html><body><p>Привет, мир</p></body></html>\n" in CP1251
 *   /json/invalid           HTTPBIN_INVALID_JSON (broken at line 3, column 14)
 *   /conn-id                "1", "2", ...: the serial of the TCP connection
 *   /upload-sha256          {"sha256": "<hex>", "bytes": N}
 */
#ifndef WEFT_TEST_HTTP_UTIL_H
#define WEFT_TEST_HTTP_UTIL_H

#include <sys/types.h>

#include "test-tls-util.h"

#define HTTPBIN_INVALID_JSON "{\n  \"a\": 1,\n  \"b\": [1, 2,, 3]\n}\n"

typedef struct http_peer {
  pid_t pid;
  int port;
  char url[160];   /* base URL without trailing slash: "http://127.0.0.1:PORT" or
                      "https://localhost:PORT" */
  char dir[256];   /* scratch dir (configs, logs, certs) */
  tls_certs certs; /* for TLS peers: tls_path(&p->certs, "ca.pem") */
} http_peer;

/* tests/servers/httpbin.py; tls=1: https://localhost:PORT signed by the test CA. */
void httpbin_start(http_peer *p, int tls);
/* The CA file to trust for a TLS peer. */
const char *http_peer_ca(const http_peer *p);
/* Kill + wait + remove its dir; safe twice and on a zeroed struct. */
void http_peer_stop(http_peer *p);

/* Runs a shell command (e.g. curl) and captures its stdout (NUL-terminated,
 * truncated to len-1); returns its exit status, or -1 if it did not exit. */
int http_sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
