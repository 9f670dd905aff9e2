/*
 * Port of seed 004, "协程": the generator states (inspect.getgeneratorstate)
 * and the four ways to drive a generator -- next, send, throw, close.
 *
 *   def generator():
 *       i = "激活生成器"
 *       while True:
 *           try:
 *               value = yield i
 *           except ValueError:
 *               print("OVER")
 *           i = value
 *
 * C has no exceptions: a thrown code comes out of weft_yield_value, and the
 * body decides whether to catch it. -EDOM stands for ValueError here.
 */
#include <errno.h>
#include <stdio.h>
#include <weft.h>

static void *generator(void *arg) {
  const char *i = "激活生成器";
  void *value = NULL, *sent;
  int rc;

  (void)arg;
  for (;;) {
    rc = weft_yield_value((void *)i, &sent);
    if (rc == 0)
      value = sent;               /* value = yield i */
    else if (rc == WEFT_GEN_EXIT) /* close(): GeneratorExit */
      return NULL;
    else if (rc == -EDOM) /* except ValueError: value keeps the last one sent */
      printf("OVER\n");
    else
      return weft_gen_fail(rc); /* any other error escapes */
    i = value;
  }
}

int main(void) {
  weft_gen *g;
  void *v;
  int rc;

  if ((rc = weft_gen_new(&g, generator, NULL, NULL)) != 0)
    goto fail;
  printf("%s\n", weft_gen_state_name(g)); /* GEN_CREATED */
  /* next(g) is g.send(None): it runs the body up to the first yield */
  if ((rc = weft_gen_next(g, &v)) != 0)
    goto fail;
  printf("'%s'\n", (const char *)v);
  printf("'%s'\n", weft_gen_state_name(g)); /* GEN_SUSPENDED */
  if ((rc = weft_gen_send(g, "hello world", &v)) != 0)
    goto fail;
  printf("'%s'\n", (const char *)v);
  /* g.throw(ValueError): caught inside, the loop yields again */
  if ((rc = weft_gen_throw(g, -EDOM, &v)) != 0)
    goto fail;
  printf("'%s'\n", (const char *)v);
  if ((rc = weft_gen_close(g)) != 0)
    goto fail;
  printf("'%s'\n", weft_gen_state_name(g)); /* GEN_CLOSED */
  weft_gen_release(g);
  return 0;
fail:
  fprintf(stderr, "error: %s\n", weft_strerror(rc));
  return 1;
}
