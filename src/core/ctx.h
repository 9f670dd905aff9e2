/*
 * Machine contexts. The assembly back ends keep only a stack pointer: the
 * callee-saved registers live on the suspended stack. The ucontext back end
 * (WEFT_CTX_UCONTEXT) keeps a ucontext_t.
 */
#ifndef WEFT_CORE_CTX_H
#define WEFT_CORE_CTX_H

#include <stddef.h>

#ifdef WEFT_CTX_UCONTEXT
#include <ucontext.h>
typedef struct weft__ctx {
  ucontext_t uc;
} weft__ctx;
#else
typedef struct weft__ctx {
  void *sp;
} weft__ctx;
#endif

/* Prepare ctx so that switching to it calls entry(arg) on the given stack.
 * entry must never return. */
void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg);
/* Save the current context in from and resume to. */
#ifdef WEFT_CTX_UCONTEXT
void weft__ctx_switch(weft__ctx *from, weft__ctx *to);
#else
void weft__ctx_switch_sp(void **from_sp, void *to_sp);
static inline void weft__ctx_switch(weft__ctx *from, weft__ctx *to) {
  weft__ctx_switch_sp(&from->sp, to->sp);
}
#endif

#endif
