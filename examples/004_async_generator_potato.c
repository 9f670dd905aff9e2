/*
 * Port of seed 004, "一个买土豆的例子": an async generator. take_potatos(nums)
 * hands out potatoes from the shop's stock; when the stock is empty it
 * awaits a restock (2 s) and goes on. buy_potatos iterates it with
 * `async for` and prints every potato it gets.
 *
 * The generator body suspends in weft_sleep while the task that iterates it
 * waits, exactly as the async generator does under asyncio.
 *
 * (The Python original appends the list of new potatoes as one element;
 * here a restock adds five potatoes, as the comments intend.)
 *
 *   004_async_generator_potato [nums [restock_seconds]]   default 50 and 2
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

typedef struct potato {
  int serial;
} potato;

#define STOCK_MAX 64
static potato *all_potatos[STOCK_MAX];
static int stock;
static int made;
static double restock_seconds = 2;
static double start;

/* Potato.make(num) into the shop's stock */
static int make_potatos(int num) {
  for (int i = 0; i < num && stock < STOCK_MAX; i++) {
    potato *p = weft_malloc(sizeof(*p));
    if (!p)
      return -ENOMEM;
    p->serial = ++made;
    all_potatos[stock++] = p;
  }
  return 0;
}

/* async def askfor_potatos() */
static int askfor_potatos(void) {
  int rc = weft_sleep(restock_seconds);

  return rc ? rc : make_potatos(5);
}

/* async def take_potatos(nums): an async generator */
static void *take_potatos(void *arg) {
  int nums = (int)(intptr_t)arg, count = 0, rc;

  for (;;) {
    if (stock == 0) {
      /* no potatoes left: suspend this task until the restock */
      if ((rc = askfor_potatos()) != 0)
        return weft_gen_fail(rc);
    } else {
      potato *p = all_potatos[--stock];
      if (weft_yield_value(p, NULL) != 0) {
        weft_free(p); /* the consumer went away */
        return NULL;
      }
      if (++count == nums)
        break;
    }
  }
  return NULL;
}

typedef struct bucket {
  potato **items;
  int n;
} bucket;

static int got_potato(void *value, void *arg) {
  bucket *b = arg;
  potato *p = value;

  b->items[b->n++] = p;
  printf("Go photo %lu (#%d, %.1f s)\n", (unsigned long)(uintptr_t)p, p->serial,
         weft_time() - start);
  fflush(stdout);
  return 0;
}

/* async def buy_potatos() */
static void *buy_potatos(void *arg) {
  int nums = (int)(intptr_t)arg, rc;
  bucket b = {weft_calloc((size_t)nums, sizeof(potato *)), 0};
  weft_gen *g;

  if (!b.items)
    return weft_fail(-ENOMEM, NULL);
  rc = weft_gen_new(&g, take_potatos, (void *)(intptr_t)nums, NULL);
  if (rc == 0) {
    rc = weft_gen_for_each(g, got_potato, &b); /* async for p in take_potatos(nums) */
    weft_gen_release(g);
  }
  printf("bucket: %d potatoes\n", b.n);
  for (int i = 0; i < b.n; i++)
    weft_free(b.items[i]);
  weft_free(b.items);
  return rc ? weft_fail(rc, NULL) : NULL;
}

int main(int argc, char **argv) {
  int nums = argc > 1 ? atoi(argv[1]) : 50, rc;

  start = weft_time();
  if (argc > 2)
    restock_seconds = atof(argv[2]);
  if (nums <= 0 || (rc = make_potatos(5)) != 0) /* all_potatos = Potato.make(5) */
    return 1;
  rc = weft_run(buy_potatos, (void *)(intptr_t)nums, NULL);
  while (stock > 0)
    weft_free(all_potatos[--stock]);
  printf("total time: %.4f\n", weft_time() - start);
  if (rc == 0)
    return 0;
  fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return 1;
}
