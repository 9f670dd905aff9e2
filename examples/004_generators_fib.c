/*
 * Port of seed 004, "yield": fib(n) yields the Fibonacci numbers below n.
 * Printing the generator itself shows what it is; iterating it prints
 * 1 1 2 3 5 8 13 21 34 55 89.
 */
#include <stdio.h>
#include <weft.h>

static void *fib(void *arg) {
  long n = (long)arg, a = 0, b = 1, t;

  while (b < n) {
    t = a + b;
    a = b;
    b = t;
    if (weft_yield_value((void *)a, NULL) != 0)
      break; /* closed or thrown into: stop */
  }
  return NULL;
}

int main(void) {
  weft_gen *g;
  void *i;
  int rc;

  /* print(fib(100)) */
  if ((rc = weft_gen_new(&g, fib, (void *)100L, &(weft_gen_opts){.name = "fib"})) != 0)
    goto fail;
  printf("<generator object %s at %p>\n", weft_gen_name(g), (void *)g);
  weft_gen_release(g);
  /* for i in fib(100): print(i) */
  if ((rc = weft_gen_new(&g, fib, (void *)100L, &(weft_gen_opts){.name = "fib"})) != 0)
    goto fail;
  while ((rc = weft_gen_next(g, &i)) == 0)
    printf("%ld\n", (long)i);
  weft_gen_release(g);
  if (rc == WEFT_GEN_DONE)
    return 0;
fail:
  fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return 1;
}
