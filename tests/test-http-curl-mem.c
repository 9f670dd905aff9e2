/*
 * The memory functions libcurl gets (src/http/curl_mem.c): blocks of 16 KiB
 * to 272 KiB are rounded up to classes and kept per thread while the thread
 * has an HTTP session; contents survive realloc, calloc zeroes a kept
 * block, the rest goes straight to libc, the kept bytes stay under their
 * cap, and a thread's last session (or its exit) frees them.
 */
#include <pthread.h>

#include "http/internal.h"
#include "test.h"

#define KIB 1024u

TEST_IMPL(http_curl_mem_keeps_blocks) {
  char *p, *q;

  p = weft__http_curl_malloc(64 * KIB + 1);
  ASSERT_NOT_NULL(p);
  weft__http_curl_free(p); /* no session on this thread: not kept */
  ASSERT_EQ(0, weft__http_curl_kept());
  weft__http_curl_hold();
  p = weft__http_curl_malloc(64 * KIB + 1);
  memset(p, 'x', 64 * KIB + 1);
  weft__http_curl_free(p);
  ASSERT_GE(weft__http_curl_kept(), 64 * KIB + 1);
  q = weft__http_curl_malloc(64 * KIB + 16); /* the same class */
  ASSERT(q == p);
  ASSERT_EQ(0, weft__http_curl_kept());
  weft__http_curl_free(q);
  q = weft__http_curl_malloc(100 * KIB); /* another class */
  ASSERT(q != p);
  weft__http_curl_free(q);
  weft__http_curl_release(); /* the last session: all freed */
  ASSERT_EQ(0, weft__http_curl_kept());
  return 0;
}

TEST_IMPL(http_curl_mem_small_and_large_pass_through) {
  void *p;

  weft__http_curl_hold();
  weft__http_curl_free(weft__http_curl_malloc(100));
  weft__http_curl_free(weft__http_curl_malloc(16 * KIB - 1));
  weft__http_curl_free(weft__http_curl_malloc(512 * KIB));
  ASSERT_EQ(0, weft__http_curl_kept());
  p = weft__http_curl_calloc(3, 100);
  ASSERT_NOT_NULL(p);
  weft__http_curl_free(p);
  ASSERT_NULL(weft__http_curl_calloc(SIZE_MAX / 2, 4)); /* overflow */
  ASSERT_EQ(0, weft__http_curl_kept());
  weft__http_curl_release();
  return 0;
}

static int filled(const unsigned char *p, size_t n, size_t from) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != (unsigned char)(from + i))
      return 0;
  return 1;
}

TEST_IMPL(http_curl_mem_realloc_keeps_contents) {
  unsigned char *p;
  char *s;

  weft__http_curl_hold();
  p = weft__http_curl_realloc(NULL, 100);
  for (size_t i = 0; i < 100; i++)
    p[i] = (unsigned char)i;
  p = weft__http_curl_realloc(p, 20 * KIB); /* into a class */
  ASSERT(filled(p, 100, 0));
  for (size_t i = 100; i < 20 * KIB; i++)
    p[i] = (unsigned char)i;
  p = weft__http_curl_realloc(p, 70 * KIB); /* a larger class: 20 KiB kept */
  ASSERT(filled(p, 20 * KIB, 0));
  ASSERT_GE(weft__http_curl_kept(), 20 * KIB);
  ASSERT(weft__http_curl_realloc(p, 30 * KIB) == p); /* it fits */
  p = weft__http_curl_realloc(p, 400 * KIB);         /* out of the classes */
  ASSERT(filled(p, 20 * KIB, 0));
  p = weft__http_curl_realloc(p, 17 * KIB); /* shrinking keeps the block */
  ASSERT(filled(p, 17 * KIB, 0));
  weft__http_curl_free(p);
  s = weft__http_curl_strdup("weft");
  ASSERT_STR_EQ("weft", s);
  weft__http_curl_free(s);
  weft__http_curl_release();
  ASSERT_EQ(0, weft__http_curl_kept());
  return 0;
}

TEST_IMPL(http_curl_mem_calloc_zeroes_kept_block) {
  unsigned char *p, *q;

  weft__http_curl_hold();
  p = weft__http_curl_malloc(32 * KIB);
  memset(p, 0xAA, 32 * KIB);
  weft__http_curl_free(p);
  q = weft__http_curl_calloc(32, KIB);
  ASSERT(q == p);
  for (size_t i = 0; i < 32 * KIB; i++)
    ASSERT_EQ(0, q[i]);
  weft__http_curl_free(q);
  weft__http_curl_release();
  return 0;
}

/* 1100 blocks of 64 KiB (about 70 MiB) freed at once: the thread keeps at
 * most 64 MiB of them, the rest goes back to libc. */
TEST_IMPL(http_curl_mem_cap) {
  enum { N = 1100 };
  void **blocks = malloc(N * sizeof *blocks);

  weft__http_curl_hold();
  for (size_t i = 0; i < N; i++)
    ASSERT_NOT_NULL((blocks[i] = weft__http_curl_malloc(64 * KIB + 1)));
  for (size_t i = 0; i < N; i++)
    weft__http_curl_free(blocks[i]);
  ASSERT_LE(weft__http_curl_kept(), (size_t)64 * KIB * KIB);
  ASSERT_GE(weft__http_curl_kept(), (size_t)63 * KIB * KIB);
  weft__http_curl_release();
  ASSERT_EQ(0, weft__http_curl_kept());
  free(blocks);
  return 0;
}

/* A thread that ends with blocks kept frees them (the leak checkers of
 * the sanitizer and Valgrind runs would report them otherwise). */
static void *keeper(void *arg) {
  (void)arg;
  weft__http_curl_hold();
  weft__http_curl_free(weft__http_curl_malloc(48 * KIB));
  ASSERT_GT(weft__http_curl_kept(), 0);
  return NULL;
}

TEST_IMPL(http_curl_mem_thread_exit) {
  pthread_t t;

  ASSERT_OK(pthread_create(&t, NULL, keeper, NULL));
  ASSERT_OK(pthread_join(t, NULL));
  ASSERT_EQ(0, weft__http_curl_kept()); /* this thread's own: none */
  return 0;
}
