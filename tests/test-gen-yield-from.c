/* weft_yield_from: PEP 380 delegation, three generators deep. */
#include "test.h"

/* Innermost: yields 10, 11, ... ; a sent value is added to its total; a
 * thrown -EAGAIN is caught (it yields -1 next), any other code escapes. On
 * "stop" it returns its total. */
static int inner_cleanups;

static void *inner(void *arg) {
  long total = 0, next = 10, out;
  void *sent;
  int rc;

  (void)arg;
  for (;;) {
    out = next++;
    for (;;) {
      rc = weft_yield_value((void *)out, &sent);
      if (rc != -EAGAIN)
        break;
      out = -1; /* caught: yield a marker instead */
    }
    if (rc == WEFT_GEN_EXIT) {
      inner_cleanups++;
      return NULL;
    }
    if (rc < 0)
      return weft_gen_fail(rc);
    if (sent && strcmp(sent, "stop") == 0)
      return (void *)total;
    if (sent)
      total += (long)strlen(sent);
  }
}

/* Middle: yields "m" first, then delegates to inner and yields inner's
 * result + 1000; an error escaping inner is handled by yielding it. */
static int middle_exits;

static void *middle(void *arg) {
  weft_gen *sub;
  void *res;
  int rc;

  (void)arg;
  if (weft_yield_value((void *)-100L, NULL) == WEFT_GEN_EXIT)
    return NULL;
  if (weft_gen_new(&sub, inner, NULL, NULL) != 0)
    return weft_gen_fail(-ENOMEM);
  rc = weft_yield_from(sub, &res);
  weft_gen_release(sub);
  if (rc == WEFT_GEN_EXIT) {
    middle_exits++;
    return NULL;
  }
  if (rc < 0)
    res = (void *)(long)(rc - 2000); /* the escaped code, marked */
  else
    res = (void *)((long)res + 1000);
  weft_yield_value(res, NULL);
  return (void *)42L;
}

/* Outer: delegates to middle and returns its result. */
static int outer_exits;

static void *outer(void *arg) {
  weft_gen *sub;
  void *res;
  int rc;

  (void)arg;
  if (weft_gen_new(&sub, middle, NULL, NULL) != 0)
    return weft_gen_fail(-ENOMEM);
  rc = weft_yield_from(sub, &res);
  weft_gen_release(sub);
  if (rc == WEFT_GEN_EXIT)
    outer_exits++;
  if (rc < 0)
    return weft_gen_fail(rc);
  return res;
}

static weft_gen *new_outer(void) {
  weft_gen *g;

  inner_cleanups = middle_exits = outer_exits = 0;
  ASSERT_OK(weft_gen_new(&g, outer, NULL, NULL));
  return g;
}

TEST_IMPL(gen_yield_from_chain3) {
  long before = weft_test_live_allocations();
  weft_gen *g = new_outer();
  void *v;

  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_EQ(-100, (long)v); /* middle's own yield */
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_EQ(10, (long)v); /* inner's, through two levels */
  ASSERT_OK(weft_gen_send(g, "abc", &v));
  ASSERT_EQ(11, (long)v);
  ASSERT_OK(weft_gen_throw(g, -EAGAIN, &v)); /* caught three levels down */
  ASSERT_EQ(-1, (long)v);
  ASSERT_OK(weft_gen_send(g, "de", &v));
  ASSERT_EQ(12, (long)v);
  ASSERT_OK(weft_gen_send(g, "stop", &v));
  ASSERT_EQ(1005, (long)v); /* inner returned 5; middle got it as the result */
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, &v));
  ASSERT_EQ(42, (long)v); /* middle's return value, outer's result */
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(gen_yield_from_throw_escapes) {
  long before = weft_test_live_allocations();
  weft_gen *g = new_outer();
  void *v;

  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_OK(weft_gen_next(g, &v));
  /* inner lets -EIO through; middle's yield_from returns it */
  ASSERT_OK(weft_gen_throw(g, -EIO, &v));
  ASSERT_EQ(-EIO - 2000, (long)v);
  ASSERT_EQ(0, inner_cleanups);
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, &v));
  weft_gen_release(g);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

TEST_IMPL(gen_yield_from_close) {
  long before = weft_test_live_allocations();
  weft_gen *g = new_outer();

  ASSERT_OK(weft_gen_next(g, NULL));
  ASSERT_OK(weft_gen_next(g, NULL));
  /* closing the outermost closes the innermost first */
  ASSERT_OK(weft_gen_close(g));
  ASSERT_EQ(1, inner_cleanups);
  ASSERT_EQ(1, middle_exits);
  ASSERT_EQ(1, outer_exits);
  ASSERT_EQ(WEFT_GEN_CLOSED, weft_gen_state_get(g));
  weft_gen_release(g);

  /* released half-way: the same cleanups run */
  g = new_outer();
  ASSERT_OK(weft_gen_next(g, NULL));
  ASSERT_OK(weft_gen_next(g, NULL));
  weft_gen_release(g);
  ASSERT_EQ(1, inner_cleanups);
  ASSERT_EQ(1, middle_exits);
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

/* The seed's delegation: a sub-generator collects values until "CLOSE" and
 * returns them sorted; the delegator prints each result. */
typedef struct list {
  const char *items[8];
  int n;
} list;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void *collector(void *arg) {
  list *l = arg;
  void *v;

  l->n = 0;
  while (weft_yield_value(NULL, &v) == 0 && strcmp(v, "CLOSE") != 0)
    if (l->n < 8)
      l->items[l->n++] = v;
  qsort(l->items, (size_t)l->n, sizeof(l->items[0]), cmp_str);
  return l;
}

static char sorted_out[64];

static void *delegator(void *arg) {
  weft_gen *sub;
  list *l;
  int rc;

  for (;;) {
    if (weft_gen_new(&sub, collector, arg, NULL) != 0)
      return weft_gen_fail(-ENOMEM);
    rc = weft_yield_from(sub, (void **)&l);
    weft_gen_release(sub);
    if (rc != 0)
      return NULL;
    sorted_out[0] = 0;
    for (int i = 0; i < l->n; i++)
      strcat(sorted_out, l->items[i]);
  }
}

TEST_IMPL(gen_yield_from_sorted) {
  static const char *countries[][3] = {{"AM", "ZA", "BG"}, {"UG", "BE", "SI"}, {"SC", "KI", "KI"}};
  static const char *want[] = {"AMBGZA", "BESIUG", "KIKISC"};
  long before = weft_test_live_allocations();
  list l;
  weft_gen *c;

  for (int j = 0; j < 3; j++) {
    ASSERT_OK(weft_gen_new(&c, delegator, &l, &(weft_gen_opts){.primed = 1}));
    for (int i = 0; i < 3; i++)
      ASSERT_OK(weft_gen_send(c, (void *)countries[j][i], NULL));
    ASSERT_OK(weft_gen_send(c, "CLOSE", NULL));
    ASSERT_STR_EQ(want[j], sorted_out);
    weft_gen_release(c);
  }
  ASSERT_EQ(before, weft_test_live_allocations());
  return 0;
}

static void *from_exhausted(void *arg) {
  void *res = (void *)1;
  int rc = weft_yield_from(arg, &res);

  weft_yield_value((void *)(long)rc, NULL);
  weft_yield_value(res, NULL);
  return (void *)(long)weft_yield_from(NULL, NULL);
}

static void *nothing(void *arg) {
  return arg;
}

TEST_IMPL(gen_yield_from_edge_cases) {
  weft_gen *sub, *g;
  void *v;

  /* an exhausted sub gives 0 and a NULL result at once */
  ASSERT_OK(weft_gen_new(&sub, nothing, "r", NULL));
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(sub, &v));
  ASSERT_OK(weft_gen_new(&g, from_exhausted, sub, NULL));
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_EQ(0, (long)v);
  ASSERT_OK(weft_gen_next(g, &v));
  ASSERT_NULL(v);
  ASSERT_EQ(WEFT_GEN_DONE, weft_gen_next(g, &v));
  ASSERT_EQ(-EINVAL, (long)v); /* NULL sub */
  weft_gen_release(g);
  weft_gen_release(sub);
  return 0;
}
