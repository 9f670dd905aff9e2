/*
 * Seed 001, aiomultiprocess: a Process that prints "url:status", a Worker
 * whose result (the page) is printed, Pool.map over ten URLs and
 * Pool.starmap over (url, dirs) pairs.
 *
 * There is no network here: "fetching" a URL is a function that sleeps
 * 0.1 s in the child's loop and returns a made-up page, so the program
 * shows the process layer, not HTTP.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

#define PAGE "<!DOCTYPE html>\n<html class=\"theme-next muse use-motion\" lang=\"zh-Hans\">"

static int buf_set(weft_buf *out, const char *s) {
  out->len = strlen(s);
  if (!(out->data = weft_malloc(out->len)))
    return -ENOMEM;
  memcpy(out->data, s, out->len);
  return 0;
}

/* The simulated fetch: sleep like a request would, then "answer" 200. */
static int fake_get(const weft_buf *url, char *page, size_t cap) {
  int rc = weft_sleep(0.1);

  if (rc == 0)
    snprintf(page, cap, "%s<!-- %.*s -->", PAGE, (int)url->len, (const char *)url->data);
  return rc;
}

/* Process(target=get_url_info): prints f'{resp.url}:{resp.status}'. */
static void *get_url_info(const weft_buf *url, weft_buf *out) {
  char page[256];
  int rc = fake_get(url, page, sizeof page);

  (void)out;
  if (rc)
    return weft_fail(rc, "fetch %.*s", (int)url->len, (const char *)url->data);
  printf("%.*s:200\n", (int)url->len, (const char *)url->data);
  return NULL;
}

/* Worker(target=get_url_info): returns resp.text(). */
static void *get_url_text(const weft_buf *url, weft_buf *out) {
  char page[256];
  int rc = fake_get(url, page, sizeof page);

  if (rc || (rc = buf_set(out, page)) != 0)
    return weft_fail(rc, "fetch %.*s", (int)url->len, (const char *)url->data);
  return NULL;
}

/* get_image(url, dirs): the first dir that "exists" (here: b.jpg). */
static void *get_image(const weft_buf *packed, weft_buf *out) {
  weft_buf args[2], dirs[8];
  size_t n, ndirs;
  char full[256];
  int rc;

  if ((rc = weft_buf_unpack(packed, args, 2, &n)) != 0 || n != 2 ||
      (rc = weft_buf_unpack(&args[1], dirs, 8, &ndirs)) != 0)
    return weft_fail(rc ? rc : -EINVAL, "get_image takes (url, dirs)");
  for (size_t i = 0; i < ndirs; i++) {
    snprintf(full, sizeof full, "%.*s%.*s", (int)args[0].len, (char *)args[0].data,
             (int)dirs[i].len, (char *)dirs[i].data);
    printf("%s\n", full);
    fflush(stdout);
    if ((rc = weft_sleep(0.05)) != 0)
      return weft_fail(rc, "fetch %s", full);
    if (dirs[i].len == 5 && memcmp(dirs[i].data, "b.jpg", 5) == 0)
      return buf_set(out, full) ? weft_fail(-ENOMEM, "no memory") : NULL;
  }
  return weft_fail(-ENOENT, "no image under %.*s", (int)args[0].len, (char *)args[0].data);
}

static int run_process(void) {
  weft_buf url = {"http://www.langzi.fun", 21};
  weft_process *p;
  int rc, code;

  fflush(stdout);
  if ((rc = weft_process_start(&p, get_url_info, &url)) != 0)
    return rc;
  rc = weft_process_join(p, &code); /* await p */
  weft_process_free(p);
  return rc ? rc : code;
}

static int run_worker(void) {
  weft_buf url = {"http://www.langzi.fun", 21};
  weft_pool_result res = {0};
  weft_process *p;
  int rc;

  if ((rc = weft_process_start(&p, get_url_text, &url)) != 0)
    return rc;
  if ((rc = weft_process_join(p, NULL)) == 0 && (rc = weft_process_result(p, &res)) == 0)
    printf("%.*s\n....\n", (int)res.buf.len, (char *)res.buf.data); /* print(res) */
  weft_pool_result_clear(&res);
  weft_process_free(p);
  return rc;
}

/* print(result): a list of bytes reprs, cut short */
static void print_results(weft_pool_result *res, size_t n) {
  printf("[");
  for (size_t i = 0; i < n; i++) {
    const char *d = res[i].buf.data;

    printf("%sb'", i ? ", " : "");
    for (size_t k = 0; k < res[i].buf.len && k < 24; k++)
      printf(d[k] == '\n' ? "\\n" : "%c", d[k]);
    printf("...'");
    weft_pool_result_clear(&res[i]);
  }
  printf("]\n");
  fflush(stdout); /* the children write to the same stdout */
}

static int run_map(weft_pool *pool) {
  weft_buf urls[10];
  weft_pool_result res[10];
  int rc;

  for (size_t i = 0; i < 10; i++)
    urls[i] = (weft_buf){"http://www.langzi.fun", 21};
  if ((rc = weft_pool_map(pool, get_url_text, urls, 10, res)) != 0)
    return rc;
  print_results(res, 10);
  return 0;
}

static int run_starmap(weft_pool *pool) {
  const char *urls[] = {"http://1.com/", "http://2.com/", "http://3.com/", "http://4.com/"};
  weft_buf dirs[3] = {{"a.jpg", 5}, {"b.jpg", 5}, {"c.jpg", 5}}, dirs_packed, pairs[4];
  weft_pool_result res[4];
  int rc;

  if ((rc = weft_buf_pack(&dirs_packed, dirs, 3)) != 0)
    return rc;
  for (size_t i = 0; i < 4 && rc == 0; i++)
    rc = weft_buf_pack(&pairs[i], (weft_buf[]){{(void *)urls[i], strlen(urls[i])}, dirs_packed}, 2);
  if (rc == 0 && (rc = weft_pool_starmap(pool, get_image, pairs, 4, res)) == 0) {
    for (size_t i = 0; i < 4; i++) {
      printf("%s%.*s", i ? ", " : "[", (int)res[i].buf.len, (char *)res[i].buf.data);
      weft_pool_result_clear(&res[i]);
    }
    printf("]\n");
  }
  for (size_t i = 0; i < 4; i++)
    weft_buf_free(&pairs[i]);
  weft_buf_free(&dirs_packed);
  return rc;
}

static void *amain(void *arg) {
  weft_pool *pool;
  double start = weft_time();
  int rc;

  (void)arg;
  if ((rc = run_process()) != 0 || (rc = run_worker()) != 0)
    return weft_fail(rc < 0 ? rc : -ECHILD, "process failed: %d", rc);
  if ((rc = weft_pool_new(&pool, NULL)) != 0) /* async with Pool() as pool */
    return weft_fail(rc, "pool");
  if ((rc = run_map(pool)) == 0)
    rc = run_starmap(pool);
  weft_pool_close(pool);
  weft_pool_join(pool);
  weft_pool_free(pool);
  if (rc)
    return weft_fail(rc, "pool map failed");
  printf("Cost time: %.2f\n", weft_time() - start);
  return NULL;
}

int main(void) {
  int rc = weft_run(amain, NULL, NULL);

  if (rc)
    fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return rc ? 1 : 0;
}
