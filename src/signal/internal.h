/* Signal layer internals shared by its files. */
#ifndef WEFT_SIGNAL_INTERNAL_H
#define WEFT_SIGNAL_INTERNAL_H

#include "core/internal.h"
#include "weft/signal.h"

/* 0 if signo can be watched, else -EINVAL. */
int weft__signal_check(int signo);
/* 1 for the watchers of this layer. */
int weft__signal_is_ours(const uv_signal_t *h);
/* Every SIGINT watcher or waiter registers here while it is active: the
 * first on a loop suspends weft_run's Ctrl-C watcher, the last restores
 * it. Both are no-ops for other signals. */
int weft__sigint_claim(weft_loop *loop, int signo);
void weft__sigint_release(weft_loop *loop, int signo);

#endif
