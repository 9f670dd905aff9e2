/* Context set-up for the assembly back ends (ctx_x86_64.S, ctx_aarch64.S). */
#ifndef WEFT_CTX_UCONTEXT

#include <stdint.h>
#include <string.h>

#include "ctx.h"

void weft__ctx_start(void);

#if defined(__x86_64__)
/* Frame popped by weft__ctx_switch_sp: r15, r14, r13, r12, rbx, rbp, return
 * address. */
void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg) {
  uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
  uint64_t *sp = (uint64_t *)(top - 24); /* after ret, rsp is 16-aligned */

  sp[0] = (uint64_t)(uintptr_t)weft__ctx_start;
  sp -= 6;
  sp[0] = 0;                          /* r15 */
  sp[1] = 0;                          /* r14 */
  sp[2] = (uint64_t)(uintptr_t)entry; /* r13 */
  sp[3] = (uint64_t)(uintptr_t)arg;   /* r12 */
  sp[4] = 0;                          /* rbx */
  sp[5] = 0;                          /* rbp */
  ctx->sp = sp;
}
#elif defined(__aarch64__)
void weft__ctx_make(weft__ctx *ctx, void *stack_lo, size_t size, void (*entry)(void *), void *arg) {
  uintptr_t top = ((uintptr_t)stack_lo + size) & ~(uintptr_t)15;
  uint64_t *sp = (uint64_t *)(top - 160);

  memset(sp, 0, 160);
  sp[0] = (uint64_t)(uintptr_t)arg;              /* x19 */
  sp[1] = (uint64_t)(uintptr_t)entry;            /* x20 */
  sp[11] = (uint64_t)(uintptr_t)weft__ctx_start; /* x30 */
  ctx->sp = sp;
}
#else
#error "no assembly context switch for this architecture: build with WEFT_CTX=ucontext"
#endif

#endif /* !WEFT_CTX_UCONTEXT */
