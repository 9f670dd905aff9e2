/*
 * HTTP test peers (test-http-peers.c): real servers on 127.0.0.1 with an
 * ephemeral port, started by the test and stopped (killed, reaped, their
 * scratch dir removed) by http_peer_stop. A peer dies with the test process
 * (PR_SET_PDEATHSIG), so a test that times out leaves no strays. Startup
 * waits up to 10 s and polls every 10 ms. Each peer's url is its base URL
 * (for a proxy: the proxy URL to pass as the proxy option).
 *
 * httpbin (tests/servers/httpbin.py, aiohttp): httpbin.org's routes and JSON
 * shapes, plus the error-path routes listed at the top of that file. Fixed
 * bodies the client tests can compare against:
 *   /encoding/gb2312        "<html><body><p>你好，世界</p></body></html>\n" in GB2312
 *   /encoding/windows-1251  "<html><body><p>Привет, мир</p></body></html>\n" in CP1251
 *   /json/invalid           HTTPBIN_INVALID_JSON (broken at line 3, column 14)
 *   /conn-id                "1", "2", ...: the serial of the TCP connection
 *   /upload-sha256          {"sha256": "<hex>", "bytes": N}
 *   /concurrency/hold?until=N&wait=S  holds a request until N are held at once
 *   /concurrency[?reset=1]  {"in_flight", "max_in_flight", "max_connections"} seen
 */
#ifndef WEFT_TEST_HTTP_UTIL_H
#define WEFT_TEST_HTTP_UTIL_H

#include <sys/types.h>

#include "test-tls-util.h"
#include "weft/http.h"

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
/* tinyproxy (Debian's) on http://127.0.0.1:PORT, PORT picked free, its
 * config and tinyproxy.log in p->dir; user != NULL: BasicAuth user pass
 * (407 without them). It adds "Via: 1.1 tinyproxy (tinyproxy/1.11.1)". */
void tinyproxy_start(http_peer *p, const char *user, const char *pass);
/* tests/servers/tls_proxy.py on https://localhost:PORT (TLS with the test
 * CA: http_peer_ca): CONNECT tunnels (TLS inside TLS for an https origin)
 * and absolute-form requests forwarded with "Via: 1.1 tls-proxy". Each
 * request line ("CONNECT localhost:443", "GET http://...") is appended
 * to proxy.log in p->dir. */
void tls_proxy_start(http_peer *p);
/* The same wanting Basic Proxy-Authorization user:pass (407 otherwise). */
void tls_proxy_start_auth(http_peer *p, const char *user, const char *pass);
/* tests/servers/socks5.py on socks5://127.0.0.1:PORT (RFC 1928 CONNECT);
 * user != NULL: RFC 1929 username/password required. proxy.log in p->dir
 * gets "CONNECT host:port user" ("-" without auth) and "AUTH-FAILED user". */
void socks5_start(http_peer *p, const char *user, const char *pass);

/* nginx: static files /1k.bin and /100k.bin (NGINX_FILE_PATTERN repeated),
 * access.log lines "$connection $connection_requests $server_protocol
 * "$request" $status". tls: https://localhost:PORT with the test CA;
 * http2 (with tls): HTTP/2 offered by ALPN. */
#define NGINX_FILE_PATTERN "0123456789abcdef"
typedef struct nginx_opts {
  int tls;
  int http2;
} nginx_opts;
void nginx_start(http_peer *p, const nginx_opts *opts);
/* Distinct connection serials in the access log. */
int nginx_connections_seen(const http_peer *p);
/* Lines in the access log, waiting up to 2 s for at least want (nginx
 * logs a request just after its response is sent). */
int nginx_requests_seen(const http_peer *p, int want);

/* A loopback TCP port nothing listens on (bound to port 0, then closed). */
int http_free_port(void);

/* Reads p->dir/name into buf (NUL-terminated, truncated to len-1);
 * returns the bytes read or -1. */
int http_peer_read(const http_peer *p, const char *name, char *buf, size_t len);

/* Kill + wait + remove its dir; safe twice and on a zeroed struct. */
void http_peer_stop(http_peer *p);

/* Runs a shell command (e.g. curl) and captures its stdout (NUL-terminated,
 * truncated to len-1); returns its exit status, or -1 if it did not exit. */
int http_sh(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Client-side shorthands shared by the HTTP client tests (each asserts). */
/* Close and free a session. */
void http_session_done(weft_http_session *s);
/* method url with o, which must succeed (the message on stderr if not). */
weft_http_response *http_send_ok(weft_http_session *s, const char *method, const char *url,
                                 const weft_http_request_opts *o);
/* The JSON body of a 200 answer to method url (json_decref it). */
struct json_t *http_call_json(weft_http_session *s, const char *method, const char *url,
                              const weft_http_request_opts *o);
/* GET /gzip on a session with decompression off: the body as sent
 * (gzip magic), read to its end, and the response freed. */
void http_get_gzip_as_sent(weft_http_session *s);
/* j[obj][key] as a string, or NULL (obj NULL: j[key]). */
const char *http_json_field(const struct json_t *j, const char *obj, const char *key);

#endif
