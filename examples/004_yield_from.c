/*
 * Port of seed 004, "yield from用法" and "转移控制权".
 *
 * chains1 walks every iterable with a nested loop; chains2 delegates to an
 * iterator of each with yield from. Both print three two one a b c.
 *
 * Then a delegating generator: generator() collects country codes until
 * "CLOSE" and returns them sorted; generator2() (primed) does
 * `l = yield from generator()` forever and prints each sorted list. The
 * client sends three random codes and "CLOSE" to a fresh generator2, three
 * times. Sends go straight through generator2 into generator, and
 * generator's return value becomes the value of yield from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <weft.h>

typedef struct strs {
  const char *const *items;
  int n;
} strs;

/* iter(iterable) as a generator */
static void *iterate(void *arg) {
  const strs *s = arg;

  for (int i = 0; i < s->n; i++)
    if (weft_yield_value((void *)s->items[i], NULL) != 0)
      break;
  return NULL;
}

static const char *const set_items[] = {"three", "two", "one"}; /* {'one','two','three'} */
static const char *const list_items[] = {"a", "b", "c"};        /* list("abc") */
static const strs chain_args[] = {{set_items, 3}, {list_items, 3}};

static void *chains1(void *arg) {
  (void)arg;
  for (int i = 0; i < 2; i++)
    for (int n = 0; n < chain_args[i].n; n++)
      if (weft_yield_value((void *)chain_args[i].items[n], NULL) != 0)
        return NULL;
  return NULL;
}

static void *chains2(void *arg) {
  weft_gen *it;
  int rc;

  (void)arg;
  for (int i = 0; i < 2; i++) {
    if ((rc = weft_gen_new(&it, iterate, (void *)&chain_args[i], NULL)) != 0)
      return weft_gen_fail(rc);
    rc = weft_yield_from(it, NULL); /* avoids the nested loop */
    weft_gen_release(it);
    if (rc != 0)
      return weft_gen_fail(rc);
  }
  return NULL;
}

static int print_all(weft_gen_fn fn) {
  weft_gen *c;
  void *i;
  int rc = weft_gen_new(&c, fn, NULL, NULL);

  if (rc)
    return rc;
  while ((rc = weft_gen_next(c, &i)) == 0)
    printf("%s\n", (const char *)i);
  weft_gen_release(c);
  return rc == WEFT_GEN_DONE ? 0 : rc;
}

/* ---- 转移控制权 ---- */

typedef struct list {
  const char *items[8];
  int n;
} list;

static void print_list(const char *label, const list *l) {
  printf("%s [", label);
  for (int i = 0; i < l->n; i++)
    printf("%s'%s'", i ? ", " : "", l->items[i]);
  printf("]\n");
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 子生成器 */
static void *generator(void *arg) {
  list *l = arg;
  void *i;

  l->n = 0;
  for (;;) {
    if (weft_yield_value(NULL, &i) != 0)
      return NULL;
    if (strcmp(i, "CLOSE") == 0)
      break;
    if (l->n < 8)
      l->items[l->n++] = i;
  }
  qsort(l->items, (size_t)l->n, sizeof(l->items[0]), cmp);
  return l;
}

/* 委托生成器 */
static void *generator2(void *arg) {
  weft_gen *sub;
  list *l;
  int rc;

  for (;;) {
    if ((rc = weft_gen_new(&sub, generator, arg, NULL)) != 0)
      return weft_gen_fail(rc);
    rc = weft_yield_from(sub, (void **)&l);
    weft_gen_release(sub);
    if (rc != 0)
      return NULL; /* closed */
    print_list("排序后的列表", l);
    printf("-----------------\n");
  }
}

/* Faker().country_code */
static const char *fake_country_code(void) {
  static const char *const codes[] = {"AM", "ZA", "BG", "UG", "BE", "SI", "SC", "KI", "FR",
                                      "CN", "JP", "DE", "BR", "IN", "NZ", "MX", "EG", "CA"};
  return codes[rand() % (int)(sizeof(codes) / sizeof(codes[0]))];
}

static int client(void) {
  list storage, country;
  weft_gen *c;
  int rc;

  srand((unsigned)time(NULL));
  for (int j = 0; j < 3; j++) {
    country.n = 3;
    for (int i = 0; i < 3; i++)
      country.items[i] = fake_country_code();
    print_list("国家代号列表：", &country);
    if ((rc = weft_gen_new(&c, generator2, &storage, &(weft_gen_opts){.primed = 1})) != 0)
      return rc;
    for (int i = 0; i < 3 && rc == 0; i++)
      rc = weft_gen_send(c, (void *)country.items[i], NULL);
    if (rc == 0)
      rc = weft_gen_send(c, "CLOSE", NULL);
    weft_gen_release(c);
    if (rc)
      return rc;
  }
  return 0;
}

int main(void) {
  int rc;

  if ((rc = print_all(chains1)) != 0)
    goto fail;
  printf("\n\n");
  if ((rc = print_all(chains2)) != 0)
    goto fail;
  printf("\n");
  if ((rc = client()) != 0)
    goto fail;
  return 0;
fail:
  fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return 1;
}
