/*
 * trap.h - the guest's IDT. Every exception is reported (vector, name,
 * error code, rip, cr2 for #PF) and ends the VM with EXITLAB_EXIT_EXCEPTION:
 * a fault never becomes a silent hang or a triple fault.
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

void trap_init(void);

/* A device interrupt handler: runs with interrupts off, must EOI. */
typedef void trap_handler_fn(unsigned vector);
/* Installs fn for vector (32-63). */
void trap_set_handler(unsigned vector, trap_handler_fn *fn);

#endif
