/*
 * Task helpers shared by the tests of the combinators and the sync layer.
 */
#ifndef WEFT_TEST_TASKS_H
#define WEFT_TEST_TASKS_H

#include "test.h"

/* Spawn fn(arg) as a task with a name; asserts success. */
weft_task *spawn_named(weft_task_fn fn, void *arg, const char *name);
/* Await t, release it and return what its body returned (an int status). */
int await_rc(weft_task *t);

/* The loop's first timers allocate the timer heap: start some in the main
 * task, so that under --torture that failing allocation surfaces there as
 * -ENOMEM rather than as a child ending early. */
void timers_ready(void);
/* A task body. arg: milliseconds to sleep; negative: sleep that long, then
 * fail with -EDOM. Returns arg. */
void *sleeper(void *arg);
/* Spawn n sleepers, t[i] sleeping ms[i]. */
void spawn_all(weft_task **t, const long *ms, size_t n);
/* Cancel what is left of t[0..n), collect every outcome, release. */
void finish_all(weft_task **t, size_t n);

#endif
