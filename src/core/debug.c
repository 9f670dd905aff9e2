/* Introspection (weft_dump_tasks) and sanitizer fiber annotations. */
#include <stdio.h>

#include "internal.h"

#if defined(__SANITIZE_ADDRESS__)
#define WEFT__ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WEFT__ASAN 1
#endif
#endif

#ifdef WEFT__ASAN
#include <sanitizer/common_interface_defs.h>
#endif

void weft__fiber_start(void **fake, const void *lo, size_t size) {
#ifdef WEFT__ASAN
  __sanitizer_start_switch_fiber(fake, lo, size);
#else
  WEFT__UNUSED(fake);
  WEFT__UNUSED(lo);
  WEFT__UNUSED(size);
#endif
}

void weft__fiber_finish(void *fake, const void **old_lo, size_t *old_size) {
#ifdef WEFT__ASAN
  __sanitizer_finish_switch_fiber(fake, old_lo, old_size);
#else
  WEFT__UNUSED(fake);
  WEFT__UNUSED(old_lo);
  WEFT__UNUSED(old_size);
#endif
}

static void dump_one(FILE *out, weft_task *t) {
  const char *what = weft_task_waiting_on(t);

  fprintf(out, "  %-24s %-9s %-14s stack %7zu used %7zu\n", weft_task_name(t),
          weft_task_state_name(t), what ? what : (t->queued ? "(ready)" : "(running)"),
          weft_task_stack_size(t), weft_task_stack_used(t));
}

void weft_dump_tasks(FILE *out) {
  weft_loop *loop = weft_loop_current();

  if (!loop) {
    fprintf(out, "weft: no loop\n");
    return;
  }
  fprintf(out, "weft: %zu task(s)\n", loop->ntasks);
  for (weft__list *l = loop->tasks.next; l != &loop->tasks; l = l->next)
    dump_one(out, weft__container_of(l, weft_task, all_link));
}
