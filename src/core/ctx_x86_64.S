/*
 * x86-64 System V context switch.
 *
 * void weft__ctx_switch_sp(void **from_sp, void *to_sp)
 *   pushes the callee-saved registers on the current stack, stores the stack
 *   pointer in *from_sp, loads to_sp and pops the same frame from there.
 *
 *   MXCSR and the x87 control word are not switched: like the rest of the
 *   floating-point environment they belong to the thread, shared by every
 *   task of its loop (as coroutines share it in asyncio). Loading them costs
 *   more than the rest of the switch.
 *
 * A fresh context (see ctx_asm.c) holds a frame whose return address is
 * weft__ctx_start, with the entry function in r13 and its argument in r12.
 */
	.text
	.globl	weft__ctx_switch_sp
	.type	weft__ctx_switch_sp, @function
	.p2align 4
weft__ctx_switch_sp:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	%rsi, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	weft__ctx_switch_sp, .-weft__ctx_switch_sp

	.globl	weft__ctx_start
	.type	weft__ctx_start, @function
	.p2align 4
weft__ctx_start:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	ud2
	.cfi_endproc
	.size	weft__ctx_start, .-weft__ctx_start

	.section .note.GNU-stack,"",@progbits
