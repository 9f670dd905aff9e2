/* Big buffers (src/core/bigmem.c): 2 MiB-aligned blocks in whole 2 MiB
 * units that weft_free and weft_realloc recognise, freed blocks kept for
 * reuse but never seen by a forked child, the fallback to the allocator
 * past the table and under weft_set_allocator; and process pools, whose
 * buffers are big blocks, mapping with the default allocator. Each test
 * puts libc's allocator back first: the runner's counting allocator
 * would turn every big block into a plain weft_malloc one. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/internal.h"
#include "test.h"

#define UNIT ((size_t)2 << 20)

static void use_libc_allocator(void) {
  ASSERT_OK(weft_set_allocator(malloc, realloc, free));
}

static void fill(char *p, size_t len, int seed) {
  for (size_t i = 0; i < len; i += 4096)
    p[i] = (char)(seed + (int)(i >> 12));
  p[len - 1] = (char)seed;
}

static int filled(const char *p, size_t len, int seed) {
  for (size_t i = 0; i < len; i += 4096)
    if (p[i] != (char)(seed + (int)(i >> 12)))
      return 0;
  return p[len - 1] == (char)seed;
}

TEST_IMPL(bigmem_alloc_rounds_to_units) {
  size_t cap = 0;
  char *p;

  use_libc_allocator();
  p = weft__big_alloc(WEFT__BIG_MIN, &cap);
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(0, (uintptr_t)p % UNIT);
  ASSERT_EQ(UNIT, cap);
  ASSERT_EQ(cap, weft__big_size(p));
  fill(p, cap, 1); /* all of cap is usable */
  ASSERT(filled(p, cap, 1));
  weft_free(p);
  ASSERT_EQ(0, weft__big_size(p)); /* kept, not live */

  p = weft__big_alloc(UNIT + 1, &cap);
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(2 * UNIT, cap);
  fill(p, cap, 2);
  weft_free(p);
  return 0;
}

TEST_IMPL(bigmem_small_sizes_are_plain) {
  size_t cap = 0;
  char *p = NULL;

  use_libc_allocator();
  p = weft__big_alloc(WEFT__BIG_MIN - 1, &cap);
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(WEFT__BIG_MIN - 1, cap);
  ASSERT_EQ(0, weft__big_size(p));
  memset(p, 7, cap);
  weft_free(p);
  p = weft__big_alloc(0, &cap);
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(0, cap);
  weft_free(p);
  ASSERT_NULL(weft__big_alloc(SIZE_MAX - 4096, &cap)); /* rounding would wrap */
  return 0;
}

TEST_IMPL(bigmem_freed_block_is_reused) {
  size_t cap = 0, cap2 = 0;
  char *p, *q, *r;

  use_libc_allocator();
  p = weft__big_alloc(3 * UNIT, &cap);
  q = weft__big_alloc(UNIT, &cap2);
  ASSERT_NOT_NULL(p);
  ASSERT_NOT_NULL(q);
  weft_free(p);
  weft_free(q);
  r = weft__big_alloc(UNIT, &cap); /* the smallest kept block that fits */
  ASSERT_EQ(q, r);
  ASSERT_EQ(UNIT, cap);
  fill(r, cap, 3);
  q = weft__big_alloc(2 * UNIT, &cap2);
  ASSERT_EQ(p, q);
  ASSERT_EQ(3 * UNIT, cap2);
  fill(q, cap2, 4);
  ASSERT(filled(r, cap, 3));
  weft_free(r);
  weft_free(q);
  return 0;
}

TEST_IMPL(bigmem_realloc_keeps_contents) {
  size_t cap = 0;
  char *p, *q;

  use_libc_allocator();
  p = weft__big_alloc(UNIT, &cap);
  ASSERT_NOT_NULL(p);
  fill(p, cap, 5);
  ASSERT_EQ(p, weft_realloc(p, 1000)); /* shrinking keeps the block */
  ASSERT_EQ(p, weft_realloc(p, UNIT));
  q = weft_realloc(p, 2 * UNIT + 10);
  ASSERT_NOT_NULL(q);
  ASSERT(q != p);
  ASSERT_EQ(3 * UNIT, weft__big_size(q));
  ASSERT(filled(q, UNIT, 5));
  ASSERT_EQ(0, weft__big_size(p));
  weft_free(q);
  return 0;
}

/* Past the table's slots, blocks come from the allocator: each still
 * works and is freed the same way. */
TEST_IMPL(bigmem_table_full_falls_back) {
  enum { N = 80 };
  char *p[N];
  size_t cap[N], big = 0;

  use_libc_allocator();
  for (int i = 0; i < N; i++) {
    p[i] = weft__big_alloc(WEFT__BIG_MIN, &cap[i]);
    ASSERT_NOT_NULL(p[i]);
    big += weft__big_size(p[i]) != 0;
    fill(p[i], cap[i], i);
  }
  ASSERT(big >= 32 && big < N);
  ASSERT_EQ(WEFT__BIG_MIN, cap[N - 1]); /* a plain one */
  for (int i = 0; i < N; i++) {
    ASSERT(filled(p[i], cap[i], i));
    weft_free(p[i]);
  }
  return 0;
}

/* A child forked while a block is kept does not have it mapped: it must
 * not hand it out, and its own blocks work. */
TEST_IMPL(bigmem_fork_child_forgets_kept_blocks) {
  size_t cap = 0, ccap = 0;
  char *live, *kept, *again;
  int status = 0;
  pid_t pid;

  use_libc_allocator();
  live = weft__big_alloc(UNIT, &cap);
  kept = weft__big_alloc(UNIT, &cap);
  ASSERT_NOT_NULL(live);
  ASSERT_NOT_NULL(kept);
  fill(live, cap, 6);
  weft_free(kept);
  pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    /* kept is not mapped here: handing it out would crash the fill */
    char *c = weft__big_alloc(UNIT, &ccap);
    int ok = c && filled(live, cap, 6);

    if (ok)
      fill(c, ccap, 7), fill(live, cap, 8); /* copy on write: the parent's stays */
    ok = ok && filled(c, ccap, 7);
    _exit(ok ? 0 : 1);
  }
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(0, WEXITSTATUS(status));
  ASSERT(filled(live, cap, 6));
  again = weft__big_alloc(UNIT, &cap); /* the parent still reuses it */
  ASSERT_EQ(kept, again);
  fill(again, cap, 9);
  weft_free(again);
  weft_free(live);
  return 0;
}

/* A private block is not mapped in a child; the child forgets it (its
 * own blocks may then take that address), and the parent keeps using it
 * and reuses it once freed. */
TEST_IMPL(bigmem_private_block_stays_out_of_fork) {
  size_t cap = 0, ccap = 0;
  char *priv, *again;
  int status = 0;
  pid_t pid;

  use_libc_allocator();
  priv = weft__big_alloc(UNIT, &cap);
  ASSERT_NOT_NULL(priv);
  weft__big_private(priv);
  weft__big_private(priv); /* twice: no change */
  weft__big_private(&cap); /* not a big block: ignored */
  fill(priv, cap, 11);
  pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    char *c = weft__big_alloc(UNIT, &ccap);
    int ok = c && weft__big_size(priv) == (c == priv ? ccap : 0);

    if (ok)
      fill(c, ccap, 12);
    ok = ok && filled(c, ccap, 12);
    weft_free(c);
    _exit(ok ? 0 : 1);
  }
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT(WIFEXITED(status));
  ASSERT_EQ(0, WEXITSTATUS(status));
  ASSERT(filled(priv, cap, 11));
  ASSERT_EQ(cap, weft__big_size(priv));
  weft_free(priv);
  again = weft__big_alloc(UNIT, &cap);
  ASSERT_EQ(priv, again);
  fill(again, cap, 13);
  weft_free(again);
  return 0;
}

/* The child really does not have it: touching it faults. */
TEST_IMPL(bigmem_private_block_unmapped_in_child) {
  size_t cap = 0;
  int status = 0;
  char *priv;
  pid_t pid;

  use_libc_allocator();
  priv = weft__big_alloc(UNIT, &cap);
  ASSERT_NOT_NULL(priv);
  weft__big_private(priv);
  fill(priv, cap, 14);
  pid = fork();
  ASSERT(pid >= 0);
  if (pid == 0) {
    signal(SIGSEGV, SIG_DFL); /* a sanitizer may keep its own: it exits 1 */
    *(volatile char *)priv = 1;
    _exit(0);
  }
  ASSERT_EQ(pid, waitpid(pid, &status, 0));
  ASSERT(WIFSIGNALED(status) ? WTERMSIG(status) == SIGSEGV : WEXITSTATUS(status) != 0);
  ASSERT(filled(priv, cap, 14));
  weft_free(priv);
  return 0;
}

static void *counting_malloc(size_t n) {
  return malloc(n);
}

TEST_IMPL(bigmem_custom_allocator_gets_every_block) {
  size_t cap = 0;
  char *p;

  ASSERT_OK(weft_set_allocator(counting_malloc, realloc, free));
  p = weft__big_alloc(4 * UNIT, &cap);
  ASSERT_NOT_NULL(p);
  ASSERT_EQ(4 * UNIT, cap);
  ASSERT_EQ(0, weft__big_size(p));
  fill(p, cap, 10);
  weft_free(p);
  return 0;
}

static void *echo(const weft_buf *arg, weft_buf *out) {
  memcpy(out->data, arg->data, arg->len);
  out->len = arg->len;
  return NULL;
}

/* A result of the item's size times 1000 bytes: frames and the arena pass
 * a frame's cap, and grow. */
static void *widen(const weft_buf *arg, weft_buf *out) {
  long v;

  memcpy(&v, arg->data, sizeof v);
  out->len = (size_t)(v % 7) * 100000;
  if (!out->len)
    return NULL;
  if (!(out->data = weft_malloc(out->len)))
    return weft_fail(-ENOMEM, "no memory");
  memset(out->data, (int)(v & 0x7f), out->len);
  return NULL;
}

static void check_echo(const weft_pool_results *res, long n) {
  for (long i = 0; i < n; i++) {
    weft_buf b = weft_pool_results_buf(res, (size_t)i);

    ASSERT_EQ(0, res->items[i].code);
    ASSERT_EQ(sizeof i, b.len);
    ASSERT_OK(memcmp(b.data, &i, sizeof i));
  }
}

static void check_widen(const weft_pool_results *res, long n) {
  for (long i = 0; i < n; i++) {
    weft_buf b = weft_pool_results_buf(res, (size_t)i);
    const unsigned char *d = b.data;

    ASSERT_EQ((size_t)(i % 7) * 100000, b.len);
    for (size_t k = 0; k < b.len; k += 997)
      ASSERT_EQ(i & 0x7f, d[k]);
  }
}

static void *pool_main(void *arg) {
  enum { N = 100000, W = 64 };
  weft_buf *items = calloc(N, sizeof *items);
  long *vals = calloc(N, sizeof *vals);
  weft_pool_results res = {0};
  weft_pool *p;

  (void)arg;
  ASSERT_NOT_NULL(items);
  ASSERT_NOT_NULL(vals);
  for (long i = 0; i < N; i++) {
    vals[i] = i;
    items[i] = (weft_buf){&vals[i], sizeof vals[i]};
  }
  ASSERT_OK(weft_pool_new(&p, &(weft_pool_opts){.processes = 2}));
  for (int round = 0; round < 3; round++) {
    ASSERT_OK(weft_pool_map_arena(p, echo, items, N, &res));
    check_echo(&res, N);
    weft_pool_results_free(&res);
  }
  ASSERT_OK(weft_pool_map_arena(p, widen, items, W, &res));
  check_widen(&res, W);
  weft_pool_results_free(&res);
  ASSERT_OK(weft_pool_close(p));
  ASSERT_OK(weft_pool_join(p));
  weft_pool_free(p);
  free(items);
  free(vals);
  return NULL;
}

TEST_TIMEOUT(bigmem_pool_maps_with_default_allocator, 60);
TEST_IMPL(bigmem_pool_maps_with_default_allocator) {
  use_libc_allocator();
  ASSERT_OK(weft_run(pool_main, NULL, NULL));
  return 0;
}
