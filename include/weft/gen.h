/*
 * weft generators: Python generators and async generators in C.
 *
 * A generator runs a function on its own stack. The function hands values
 * out with weft_yield_value(); the caller pulls them with weft_gen_next() /
 * weft_gen_send() and can throw an error code in (weft_gen_throw) or close
 * it (weft_gen_close). What the function returns is the generator's return
 * value (Python's StopIteration.value).
 *
 * A generator body runs as whoever drives it. Driven from a task, the body
 * may suspend (weft_sleep, weft_await, I/O ...): that is an async generator,
 * and the driving task's cancellation and timeouts reach the body's
 * suspension points. Driven from plain code (no task), the body's
 * suspension points return -EPERM, as everywhere outside a task.
 *
 * Codes returned by next / send / throw:
 *   0               the generator yielded; *value gets the yielded value
 *   WEFT_GEN_DONE   it returned (StopIteration); *value gets its return value
 *                   the first time, NULL afterwards
 *   negative        it failed with that code (weft_gen_fail, or a thrown code
 *                   it let through), or a misuse code listed per function
 */
#ifndef WEFT_GEN_H
#define WEFT_GEN_H

#include <errno.h>

#include "weft/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_gen weft_gen;

/* A generator body. Its return value is the generator's return value. */
typedef void *(*weft_gen_fn)(void *arg);

/* Positive: the generator is exhausted (StopIteration). */
#define WEFT_GEN_DONE WEFT_DONE
/* What weft_yield_value returns when the generator is being closed
 * (GeneratorExit): the body must clean up and return. */
#define WEFT_GEN_EXIT (-ESHUTDOWN)

typedef struct weft_gen_opts {
  size_t stack_size; /* bytes; 0 = weft_default_stack_size() */
  const char *name;  /* copied; default "generator" */
  int primed;        /* run to the first yield at once (the priming decorator) */
} weft_gen_opts;

/* inspect.getgeneratorstate */
typedef enum weft_gen_state {
  WEFT_GEN_CREATED = 0,   /* not started */
  WEFT_GEN_RUNNING = 1,   /* executing, or suspended inside a task's await */
  WEFT_GEN_SUSPENDED = 2, /* paused at a yield */
  WEFT_GEN_CLOSED = 3,    /* returned, failed or closed */
} weft_gen_state;

/*
 * Create a generator that will run fn(arg) on its own stack. Nothing runs
 * yet (CREATED) unless opts->primed is set: then the body runs up to its
 * first yield and the yielded value is dropped; if the body returns or fails
 * before yielding, the generator is released, *out is NULL and
 * WEFT_GEN_DONE or its error is returned. *out gets one reference.
 * Returns 0, -EINVAL (NULL out or fn, stack_size below WEFT_STACK_MIN),
 * -ENOMEM.
 */
int weft_gen_new(weft_gen **out, weft_gen_fn fn, void *arg, const weft_gen_opts *opts);

/* next(g): weft_gen_send(g, NULL, value). */
int weft_gen_next(weft_gen *g, void **value);

/*
 * g.send(sent): resume the body; its pending weft_yield_value returns 0
 * with *sent. value may be NULL. Returns 0, WEFT_GEN_DONE, the body's
 * error, -EINVAL (NULL g, or a non-NULL value sent to a just-created
 * generator: Python's TypeError), -EBUSY (the generator is running: a
 * body resuming itself, or another task resuming an async generator that
 * is suspended in an await: Python's ValueError).
 */
int weft_gen_send(weft_gen *g, void *sent, void **value);

/*
 * g.throw(code): the body's pending weft_yield_value returns code (< 0).
 * If the body handles it and yields again, returns 0 and the value; if it
 * returns, WEFT_GEN_DONE; if it lets the code through (return
 * weft_gen_fail(code)), that code. A just-created generator is closed
 * without running and code is returned; so is code for a closed one.
 * -EINVAL for NULL g or code >= 0, -EBUSY while running.
 */
int weft_gen_throw(weft_gen *g, int code, void **value);

/*
 * g.close(): the body's pending weft_yield_value returns WEFT_GEN_EXIT and
 * the body is expected to clean up and return. Returns 0 once closed (also
 * for a just-created or already closed generator, which do not run), the
 * body's error if it failed with another code while closing, -EINVAL if
 * the body yielded again (Python's "generator ignored GeneratorExit"; it
 * is then suspended at that yield), -EBUSY while running.
 */
int weft_gen_close(weft_gen *g);

/*
 * agen.aclose(): close an async generator from a task; the body's cleanup
 * may suspend. Same codes as weft_gen_close, plus -EPERM outside a task.
 */
int weft_gen_aclose(weft_gen *g);

/*
 * The priming helper: run a just-created generator up to its first yield
 * and drop the yielded value, so the first send can carry a value.
 * Returns 0, WEFT_GEN_DONE (it returned without yielding), its error,
 * -EINVAL (NULL, or not CREATED).
 */
int weft_gen_prime(weft_gen *g);

/*
 * `async for v in agen` (also plain `for`): call fn(value, arg) for each
 * value until the generator is exhausted. fn returns 0 to go on, anything
 * else to stop (break; the generator stays suspended). Returns 0 when
 * exhausted, fn's non-zero return, or the generator's error / misuse code.
 * The loop form is `while ((rc = weft_gen_next(g, &v)) == 0) { ... }`.
 */
int weft_gen_for_each(weft_gen *g, int (*fn)(void *value, void *arg), void *arg);

weft_gen_state weft_gen_state_get(const weft_gen *g);
/* "GEN_CREATED", "GEN_RUNNING", "GEN_SUSPENDED" or "GEN_CLOSED". */
const char *weft_gen_state_name(const weft_gen *g);
const char *weft_gen_name(const weft_gen *g);

weft_gen *weft_gen_retain(weft_gen *g);
/* Drop a reference. The last one closes an unfinished generator first
 * (its cleanup runs; when called from a task, that cleanup may suspend)
 * and frees it. A body that ignores the close is reported on stderr and
 * its stack is dropped anyway. Releasing a running generator defers the
 * close until it yields or returns. */
void weft_gen_release(weft_gen *g);

/* ---- inside a generator body ------------------------------------------ */

/*
 * yield value: suspend the generator and hand value to whoever resumed it.
 * Returns 0 when resumed with next/send (*sent, if non-NULL, gets the sent
 * value, NULL for next), the thrown code after weft_gen_throw, WEFT_GEN_EXIT
 * when the generator is being closed (the body must return), -EPERM when
 * not called from a generator body.
 */
int weft_yield_value(void *value, void **sent);

/*
 * yield from sub: delegate to sub until it is exhausted. sub's values go
 * out to this generator's caller, what the caller sends or throws goes into
 * sub, and sub's return value lands in *result. Closing this generator
 * closes sub first. Returns 0, sub's error (or a thrown code sub let
 * through), WEFT_GEN_EXIT when this generator is being closed, -EBUSY (sub
 * is running), -EPERM (not in a generator body), -EINVAL (NULL sub).
 * An exhausted sub gives 0 and a NULL result at once.
 */
int weft_yield_from(weft_gen *sub, void **result);

/*
 * End the body with an error: `return weft_gen_fail(rc);` makes the call
 * that resumed the generator return rc (< 0; other values become -EINVAL)
 * and closes the generator -- how a body lets a thrown code propagate.
 * Returns NULL; does nothing outside a generator body.
 */
void *weft_gen_fail(int code);

/* The generator whose body is running here, or NULL. */
weft_gen *weft_gen_current(void);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_GEN_H */
