/* Introspection: weft_dump_tasks. */
#include <stdio.h>

#include "internal.h"

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
