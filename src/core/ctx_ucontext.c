/* Portable fallback context switch on getcontext/makecontext/swapcontext. */
#ifdef WEFT_CTX_UCONTEXT

#include <stdint.h>
#include <stdlib.h>

#include "ctx.h"

/* makecontext passes int arguments only: split the pointers in halves. */
static void ctx_trampoline(unsigned fn_hi, unsigned fn_lo, unsigned arg_hi, unsigned arg_lo) {
  uintptr_t fn = ((uintptr_t)fn_hi << 16 << 16) | fn_lo;
  uintptr_t arg = ((uintptr_t)arg_hi << 16 << 16) | arg_lo;

  ((void (*)(void *))fn)((void *)arg);
  abort();
}

void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg) {
  uint64_t fn = (uint64_t)(uintptr_t)entry;
  uint64_t a = (uint64_t)(uintptr_t)arg;

  getcontext(&ctx->uc);
  ctx->uc.uc_stack.ss_sp = stack_lo;
  ctx->uc.uc_stack.ss_size = size;
  ctx->uc.uc_link = NULL;
  makecontext(&ctx->uc, (void (*)(void))ctx_trampoline, 4, (unsigned)(fn >> 32), (unsigned)fn,
              (unsigned)(a >> 32), (unsigned)a);
}

void weft__ctx_switch(weft__ctx *from, weft__ctx *to) {
  swapcontext(&from->uc, &to->uc);
}

#endif /* WEFT_CTX_UCONTEXT */
