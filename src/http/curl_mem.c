/*
 * The memory functions libcurl is given (curl_global_init_mem): libc's
 * malloc family, except that blocks of 16 KiB to 272 KiB that curl frees
 * are kept, per thread, for its next requests.
 *
 * libcurl 7.88 allocates a transfer's receive buffer (CURLOPT_BUFFERSIZE +
 * 1 bytes) when the transfer starts and frees it when it ends, and holds
 * what a paused transfer could not deliver in a block it frees when the
 * transfer resumes. With many transfers in flight those frees keep growing
 * the free space at the top of glibc's heap past its trim threshold: glibc
 * gives the top back to the kernel and the next transfers fault it in
 * again, page by page (docs/benchmarks.md, "Concurrency 1000"). So a
 * request in that range (malloc, calloc, or realloc growing a block into
 * it) is rounded up to a class (a multiple of 16 KiB, plus 64 bytes),
 * served from the thread's kept blocks of that class when there is one,
 * and a freed block goes back to the class its usable size covers, up to
 * CACHE_BYTES per thread and only while the thread has an HTTP session
 * (its last one frees them); everything else goes straight to libc. The
 * blocks are libc's, so curl_free and realloc work on them as on any
 * other.
 *
 * If the program initialised libcurl before weft did, curl keeps the
 * functions it was given and this cache is simply not used.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/internal.h"

#define CLASS_STEP ((size_t)16 * 1024)
#define CLASS_SLACK ((size_t)64)
#define CLASSES 17                             /* 16 KiB + 64 ... 272 KiB + 64 */
#define CACHE_BYTES ((size_t)64 * 1024 * 1024) /* per thread, all classes */

typedef struct kept_block {
  struct kept_block *next;
} kept_block;

typedef struct thread_cache {
  kept_block *classes[CLASSES];
  size_t bytes; /* kept, all classes */
} thread_cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static __thread thread_cache *cache;
static __thread size_t sessions; /* of this thread: blocks are kept while > 0 */

/* The size of class c. */
static size_t class_size(size_t c) {
  return (c + 1) * CLASS_STEP + CLASS_SLACK;
}

/* The class a request of n bytes is served from; CLASSES if none. */
static size_t class_for_request(size_t n) {
  if (n < CLASS_STEP || n > class_size(CLASSES - 1))
    return CLASSES;
  return n <= CLASS_SLACK + CLASS_STEP ? 0 : (n - CLASS_SLACK - 1) / CLASS_STEP;
}

/* The largest class a block of `usable` bytes covers; CLASSES if none. */
static size_t class_for_block(size_t usable) {
  size_t c;

  if (usable < class_size(0))
    return CLASSES;
  c = (usable - CLASS_SLACK) / CLASS_STEP - 1;
  return c < CLASSES ? c : CLASSES;
}

static void cache_drain(thread_cache *c) {
  for (size_t i = 0; i < CLASSES; i++)
    while (c->classes[i]) {
      kept_block *b = c->classes[i];

      c->classes[i] = b->next;
      free(b);
    }
  c->bytes = 0;
}

static void cache_destroy(void *arg) {
  cache_drain(arg);
  free(arg);
  cache = NULL;
}

static void cache_key_create(void) {
  (void)pthread_key_create(&cache_key, cache_destroy);
}

/* This thread's cache, made on first use; NULL without memory. */
static thread_cache *cache_get(void) {
  if (cache)
    return cache;
  pthread_once(&cache_once, cache_key_create);
  if (!(cache = calloc(1, sizeof *cache)))
    return NULL;
  if (pthread_setspecific(cache_key, cache) != 0) {
    free(cache);
    cache = NULL;
  }
  return cache;
}

void *weft__http_curl_malloc(size_t n) {
  size_t c = class_for_request(n);
  kept_block *b;

  if (c == CLASSES)
    return malloc(n);
  if (cache && (b = cache->classes[c]) != NULL) {
    cache->classes[c] = b->next;
    cache->bytes -= class_size(c);
    return b;
  }
  return malloc(class_size(c));
}

void weft__http_curl_free(void *p) {
  size_t c;
  thread_cache *tc;

  if (!p)
    return;
  c = class_for_block(malloc_usable_size(p));
  tc = c < CLASSES && sessions ? cache_get() : NULL;
  if (!tc || tc->bytes + class_size(c) > CACHE_BYTES) {
    free(p);
    return;
  }
  ((kept_block *)p)->next = tc->classes[c];
  tc->classes[c] = p;
  tc->bytes += class_size(c);
}

/* Growing a block into a class takes a kept block too: curl builds some
 * of its buffers (a paused transfer's pending data) by doubling them with
 * realloc, and those blocks come back here when freed. */
void *weft__http_curl_realloc(void *p, size_t n) {
  size_t usable;
  void *q;

  if (!p)
    return weft__http_curl_malloc(n);
  if (n == 0 || class_for_request(n) == CLASSES)
    return realloc(p, n);
  usable = malloc_usable_size(p);
  if (usable >= n)
    return p;
  if (!(q = weft__http_curl_malloc(n)))
    return NULL;
  memcpy(q, p, usable);
  weft__http_curl_free(p);
  return q;
}

char *weft__http_curl_strdup(const char *s) {
  return strdup(s);
}

void *weft__http_curl_calloc(size_t n, size_t size) {
  void *p;

  if (size && n > SIZE_MAX / size)
    return NULL;
  if (class_for_request(n * size) == CLASSES)
    return calloc(n, size);
  if ((p = weft__http_curl_malloc(n * size)) != NULL)
    memset(p, 0, n * size);
  return p;
}

void weft__http_curl_hold(void) {
  sessions++;
}

void weft__http_curl_release(void) {
  if (--sessions == 0 && cache)
    cache_drain(cache);
}

size_t weft__http_curl_kept(void) {
  return cache ? cache->bytes : 0;
}

CURLcode weft__http_curl_global_init(void) {
  return curl_global_init_mem(CURL_GLOBAL_DEFAULT, weft__http_curl_malloc, weft__http_curl_free,
                              weft__http_curl_realloc, weft__http_curl_strdup,
                              weft__http_curl_calloc);
}
