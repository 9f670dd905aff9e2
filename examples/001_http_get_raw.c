/*
 * Port of seed 001, "asyncio能通过socket实现与服务端建立连接": a raw-socket
 * HTTP GET through open_connection, iterating over the response's lines
 * (`async for raw_line in reader`), ten of them collected with as_completed
 * and printed as each one finishes, then the total time.
 *
 * The seed fetches http://www.langzi.fun; this program answers itself: it
 * starts a small HTTP responder (a stream server on 127.0.0.1, ephemeral
 * port) whose replies take different times, so the order of completion is
 * not the order of the requests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define NFETCH 10

/* ---- the responder ------------------------------------------------------ */

static int served;

/* Read the request head, wait a little, answer and close. */
static void respond(weft_stream *s, void *arg) {
  const char *line, *path = "/";
  char body[256], head[256], first[256] = "";
  size_t len;
  int n = ++served;

  (void)arg;
  while (weft_stream_read_line(s, &line, &len) == 0 && len > 0) {
    if (!first[0] && len < sizeof first)
      snprintf(first, sizeof first, "%.*s", (int)len, line);
    if (len <= 2) /* the empty line ends the head */
      break;
  }
  if (strncmp(first, "GET ", 4) == 0)
    path = first + 4;
  if (weft_sleep(0.01 * (NFETCH - n % NFETCH)) != 0)
    return;
  snprintf(body, sizeof body,
           "<html><title>langzi</title>\n<body>reply %d to GET %.*s</body></html>\n", n,
           (int)strcspn(path, " "), path);
  snprintf(head, sizeof head,
           "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
           strlen(body));
  weft_stream_write_str(s, head);
  weft_stream_write_str(s, body);
  weft_stream_drain(s);
}

/* ---- the seed's get_url -------------------------------------------------- */

typedef struct url {
  char host[128];
  int port;
  char path[256];
} url;

/* urlparse for "http://host[:port][/path]". */
static int parse_url(const char *s, url *u) {
  const char *p, *slash;
  size_t hl;

  if (strncmp(s, "http://", 7) != 0)
    return -EINVAL;
  p = s + 7;
  slash = strchr(p, '/');
  hl = slash ? (size_t)(slash - p) : strlen(p);
  if (hl == 0 || hl >= sizeof u->host)
    return -EINVAL;
  memcpy(u->host, p, hl);
  u->host[hl] = '\0';
  u->port = 80;
  if (strchr(u->host, ':')) {
    u->port = atoi(strchr(u->host, ':') + 1);
    *strchr(u->host, ':') = '\0';
  }
  snprintf(u->path, sizeof u->path, "%s", slash && slash[1] ? slash : "/");
  return 0;
}

/* html = '\n'.join(lines), each line as received (with its "\r\n"). */
static int append_line(char **html, size_t *len, const char *line, size_t n) {
  char *nh = weft_realloc(*html, *len + n + 2);

  if (!nh)
    return -ENOMEM;
  if (*len)
    nh[(*len)++] = '\n';
  memcpy(nh + *len, line, n);
  *len += n;
  nh[*len] = '\0';
  *html = nh;
  return 0;
}

static void *get_url(void *arg) {
  const char *target = arg;
  weft_stream *s;
  const char *line;
  char req[512], *html = NULL;
  size_t len, hlen = 0;
  url u;
  int rc;

  if ((rc = parse_url(target, &u)) != 0)
    return weft_fail(rc, "bad url %s", target);
  if ((rc = weft_open_connection(u.host, u.port, NULL, &s)) != 0)
    return weft_fail(rc, "connect %s: %s", target, weft_strerror(rc));
  snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost:%s\r\nConnection:close\r\n\r\n", u.path,
           u.host);
  rc = weft_stream_write_str(s, req);
  while (rc == 0 && (rc = weft_stream_next_line(s, &line, &len)) > 0)
    rc = append_line(&html, &hlen, line, len);
  weft_stream_free(s);
  if (rc < 0) {
    weft_free(html);
    return weft_fail(rc, "GET %s: %s", target, weft_strerror(rc));
  }
  return html ? html : weft_strdup("");
}

/* ---- main ------------------------------------------------------------------ */

static void *fetch_all(const char *target) {
  weft_task *tasks[NFETCH];
  weft_as_completed *ac;
  weft_task *done;
  void *html;
  int rc = 0;

  for (int i = 0; i < NFETCH; i++)
    if (weft_spawn(&tasks[i], get_url, (void *)target, NULL) != 0)
      return weft_fail(-ENOMEM, "spawn");
  if (weft_as_completed_new(&ac, tasks, NFETCH, INFINITY) != 0)
    return weft_fail(-ENOMEM, "as_completed");
  while (rc == 0 && weft_as_completed_next(ac, &done) == 0) { /* 完成一个 print一个 */
    if ((rc = weft_await(done, &html)) == 0) {
      printf("%s\n", (char *)html);
      weft_free(html);
    }
  }
  weft_as_completed_free(ac);
  for (int i = 0; i < NFETCH; i++)
    weft_task_release(tasks[i]);
  return rc ? weft_fail(rc, "fetch: %s", weft_strerror(rc)) : NULL;
}

static void *amain(void *arg) {
  weft_stream_server *srv;
  char target[128];
  void *res;
  int rc;

  (void)arg;
  if ((rc = weft_start_server("127.0.0.1", 0, respond, NULL, NULL, &srv)) != 0)
    return weft_fail(rc, "start_server: %s", weft_strerror(rc));
  snprintf(target, sizeof target, "http://127.0.0.1:%d/", weft_stream_server_port(srv));
  res = fetch_all(target);
  weft_stream_server_close(srv);
  weft_stream_server_wait_closed(srv, INFINITY);
  weft_stream_server_free(srv);
  return res;
}

int main(void) {
  double start = weft_time();
  int rc = weft_run(amain, NULL, NULL);

  if (rc) {
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
    return 1;
  }
  printf("last time:%.6f\n", weft_time() - start);
  return 0;
}
