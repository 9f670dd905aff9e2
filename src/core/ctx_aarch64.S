/*
 * AArch64 (AAPCS64) context switch.
 *
 * void weft__ctx_switch_sp(void **from_sp, void *to_sp)
 *   saves x19-x30 and d8-d15 (the callee-saved set) in a 160-byte frame on
 *   the current stack, stores sp in *from_sp, loads to_sp and restores the
 *   frame found there, then returns through x30.
 *
 * A fresh context holds a frame whose x30 is weft__ctx_start, with the entry
 * function in x20 and its argument in x19.
 */
	.text
	.globl	weft__ctx_switch_sp
	.type	weft__ctx_switch_sp, %function
	.p2align 4
weft__ctx_switch_sp:
	sub	sp, sp, #160
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x9, sp
	str	x9, [x0]
	mov	sp, x1
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #160
	ret
	.size	weft__ctx_switch_sp, .-weft__ctx_switch_sp

	.globl	weft__ctx_start
	.type	weft__ctx_start, %function
	.p2align 4
weft__ctx_start:
	mov	x0, x19
	mov	x29, #0
	blr	x20
	brk	#0
	.size	weft__ctx_start, .-weft__ctx_start

	.section .note.GNU-stack,"",%progbits
