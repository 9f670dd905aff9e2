/* The allocator hook: every allocation weft makes goes through here. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static void *(*alloc_malloc)(size_t) = malloc;
static void *(*alloc_realloc)(void *, size_t) = realloc;
static void (*alloc_free)(void *) = free;
static atomic_int alloc_locked;

int weft_set_allocator(void *(*malloc_fn)(size_t), void *(*realloc_fn)(void *, size_t),
                       void (*free_fn)(void *)) {
  if (atomic_load(&alloc_locked))
    return -EBUSY;
  alloc_malloc = malloc_fn ? malloc_fn : malloc;
  alloc_realloc = realloc_fn ? realloc_fn : realloc;
  alloc_free = free_fn ? free_fn : free;
  return 0;
}

/* libuv keeps libc's allocator: some of its allocation failures abort
 * inside libuv (uv_loop_init -> uv_signal_init), which would turn a
 * recoverable -ENOMEM into a crash. */
void weft__alloc_lock(void) {
  atomic_store(&alloc_locked, 1);
}

int weft__alloc_is_default(void) {
  return alloc_malloc == malloc;
}

void *weft_malloc(size_t size) {
  return alloc_malloc(size ? size : 1);
}

void *weft_calloc(size_t n, size_t size) {
  void *p;

  if (size && n > SIZE_MAX / size)
    return NULL;
  p = weft_malloc(n * size);
  if (p)
    memset(p, 0, n * size);
  return p;
}

/* A big block keeps its place while it is large enough, else moves. */
static void *big_realloc(void *ptr, size_t old, size_t size) {
  size_t cap;
  void *p;

  if (size <= old)
    return ptr;
  if ((p = weft__big_alloc(size, &cap)) != NULL) {
    memcpy(p, ptr, old);
    weft__big_release(ptr);
  }
  return p;
}

void *weft_realloc(void *ptr, size_t size) {
  size_t old;

  if (WEFT__UNLIKELY(ptr && weft__big_maybe(ptr)) && (old = weft__big_size(ptr)) != 0)
    return big_realloc(ptr, old, size);
  return alloc_realloc(ptr, size ? size : 1);
}

void weft_free(void *ptr) {
  if (!ptr)
    return;
  if (WEFT__UNLIKELY(weft__big_maybe(ptr)) && weft__big_release(ptr))
    return;
  alloc_free(ptr);
}

char *weft_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = weft_malloc(n);

  if (p)
    memcpy(p, s, n);
  return p;
}
