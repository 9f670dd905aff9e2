/*
 * Port of seed 001's "以字节流的方式读取响应内容": instead of reading the whole
 * body into memory, read it as it arrives. A download is saved to a file
 * chunk by chunk (`chunk = await resp.content.read(chunk_size)` written to
 * fd until it is empty); readany() hands out what has arrived, here from
 * /drip, which sends a byte every 0.2 s; readline() walks the lines of
 * /stream/5.
 *
 * The base URL comes from WEFT_HTTPBIN (default https://httpbin.org). The
 * file goes to argv[1] or a temporary one, removed at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

#define SIZE 102400
#define CHUNK_SIZE 4096

static char base[256];
static const char *filename;
static weft_http_session *session;

static int open_url(const char *path, weft_http_response **r) {
  char u[512];

  snprintf(u, sizeof u, "%s%s", base, path);
  return weft_http_get(session, u, NULL, r);
}

/* with open(filename, 'wb') as fd: while chunk := await resp.content.read(chunk_size):
 * fd.write(chunk) */
static int download(void) {
  char chunk[CHUNK_SIZE], path[64];
  weft_http_response *r;
  weft_file *fd;
  size_t n, total = 0, chunks = 0;
  weft_stat st;
  int rc;

  printf("--- content.read(chunk_size) into a file ---\n");
  snprintf(path, sizeof path, "/bytes/%d", SIZE);
  if ((rc = open_url(path, &r)) != 0)
    return rc;
  if ((rc = weft_file_open(&fd, filename, "w")) == 0) {
    while ((rc = weft_http_response_read_some(r, chunk, sizeof chunk, &n)) == 0 && n > 0) {
      if ((rc = (int)weft_file_write(fd, chunk, n)) < 0)
        break;
      total += n;
      chunks++;
    }
    int rc2 = weft_file_close(fd);
    rc = rc < 0 ? rc : rc2;
  }
  weft_http_response_free(r);
  if (rc == 0 && (rc = weft_fs_stat(filename, &st)) == 0)
    printf("saved %s: %zu bytes in %zu chunks of at most %d, file size %lld\n", path, total, chunks,
           CHUNK_SIZE, (long long)st.size);
  return rc;
}

/* chunk = await resp.content.readany(), as the bytes come */
static int drip(void) {
  weft_http_response *r;
  const void *data;
  double start = weft_time();
  size_t n;
  int rc;

  printf("--- content.readany() ---\n");
  if ((rc = open_url("/drip?duration=1&numbytes=5&delay=0", &r)) != 0)
    return rc;
  printf("headers of /drip after %.2f s\n", weft_time() - start);
  while ((rc = weft_http_response_read_any(r, &data, &n)) == 0 && n > 0)
    printf("readany(): %zu byte%s at %.2f s\n", n, n > 1 ? "s" : "", weft_time() - start);
  weft_http_response_free(r);
  return rc;
}

/* async for line in resp.content */
static int lines(void) {
  weft_http_response *r;
  const char *line;
  size_t n, count = 0;
  int rc;

  printf("--- content.readline() ---\n");
  if ((rc = open_url("/stream/5", &r)) != 0)
    return rc;
  while ((rc = weft_http_response_read_line(r, 0, &line, &n)) == 0 && n > 0) {
    const char *id = strstr(line, "\"id\"");
    printf("line %zu: %zu bytes, %.*s\n", ++count, n, id ? (int)strcspn(id, ",}") : 0, id);
  }
  weft_http_response_free(r);
  return rc;
}

static void *amain(void *arg) {
  int rc;

  (void)arg;
  if ((rc = weft_http_session_new(&session, NULL)) == 0) {
    if ((rc = download()) == 0 && (rc = drip()) == 0)
      rc = lines();
    weft_http_session_close(session);
    weft_http_session_free(session);
  }
  if (rc)
    printf("error: %s: %s\n", weft_err_name(rc), weft_http_last_error());
  return rc ? weft_fail(rc, "download") : NULL;
}

int main(int argc, char **argv) {
  const char *b = getenv("WEFT_HTTPBIN");
  char tmp[64] = "/tmp/weft-download-XXXXXX";
  int rc, fd = -1;

  snprintf(base, sizeof base, "%s", b && *b ? b : "https://httpbin.org");
  if (argc > 1) {
    filename = argv[1];
  } else if ((fd = mkstemp(tmp)) >= 0) {
    close(fd);
    filename = tmp;
  } else {
    perror("mkstemp");
    return 1;
  }
  rc = weft_run(amain, NULL, NULL);
  if (fd >= 0)
    remove(tmp);
  return rc ? 1 : 0;
}
