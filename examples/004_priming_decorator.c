/*
 * Port of seed 004, "预激协程": a decorator that calls next() once so the
 * generator is ready for send(). In C the decorator is a function that
 * creates the generator primed (weft_gen_opts.primed, or weft_gen_prime).
 *
 * Then a generator that collects what it is sent until "CLOSE" and returns
 * the list: the return value arrives with StopIteration (WEFT_GEN_DONE).
 */
#include <stdio.h>
#include <string.h>
#include <weft.h>

/* @corcut */
static int corcut(weft_gen **out, weft_gen_fn fn, void *arg) {
  return weft_gen_new(out, fn, arg, &(weft_gen_opts){.primed = 1});
}

static void *generator(void *arg) {
  const char *i = "激活生成器";
  void *value = NULL;

  (void)arg;
  for (;;) {
    if (weft_yield_value((void *)i, &value) == WEFT_GEN_EXIT)
      return NULL;
    i = value;
  }
}

typedef struct list {
  const char *items[16];
  int n;
} list;

static void *collector(void *arg) {
  list *l = arg;
  void *value;

  for (;;) {
    if (weft_yield_value(NULL, &value) != 0)
      return NULL;
    if (strcmp(value, "CLOSE") == 0)
      break;
    if (l->n < 16)
      l->items[l->n++] = value;
  }
  return l;
}

int main(void) {
  static const char *const sends[] = {"a", "b", "CLOSE"};
  weft_gen *g;
  list l = {.n = 0}, *value = NULL;
  void *v;
  int rc;

  if ((rc = corcut(&g, generator, NULL)) != 0)
    goto fail;
  printf("%s\n", weft_gen_state_name(g)); /* primed by the decorator */
  weft_gen_release(g);

  if ((rc = corcut(&g, collector, &l)) != 0)
    goto fail;
  for (int i = 0; i < 3; i++) {
    rc = weft_gen_send(g, (void *)sends[i], &v);
    if (rc == WEFT_GEN_DONE) /* except StopIteration as e: value = e.value */
      value = v;
    else if (rc < 0)
      goto fail;
  }
  weft_gen_release(g);
  printf("[");
  for (int i = 0; value && i < value->n; i++)
    printf("%s'%s'", i ? ", " : "", value->items[i]);
  printf("]\n");
  return 0;
fail:
  fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return 1;
}
