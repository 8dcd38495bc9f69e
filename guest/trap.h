/*
 * trap.h - the guest's IDT. Every exception is reported (vector, name,
 * error code, rip, ring, cr2 for #PF) and ends the VM with
 * EXITLAB_EXIT_EXCEPTION: a fault never becomes a silent hang or a triple
 * fault. Also the way from the guest's C code, which runs at CPL 3
 * (entry.S), to the few instructions that need CPL 0: ring0_call().
 */
#ifndef GUEST_TRAP_H
#define GUEST_TRAP_H

#include <stdint.h>

#include "trap_vectors.h"

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rdi, rsi, rbp, rbx, rdx, rcx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Fills the exception gates and ring0_call's (entry.S loaded the IDT). */
void trap_init(void);

/* Runs fn(arg) at CPL 0, interrupts off, and returns its result: for HLT
 * and MSRs. Works from CPL 0 too. entry.S: an INT3 through #BP's gate. */
typedef uint64_t ring0_fn(uint64_t arg);
uint64_t ring0_call(ring0_fn *fn, uint64_t arg);

/* Sleeps in HLT until an interrupt has been taken; call with interrupts
 * off, returns with them off. */
void trap_wait_interrupt(void);
/* Halts with interrupts off, for good: the VMM sees a HLT exit. */
__attribute__((noreturn)) void trap_halt(void);

/* A device interrupt handler: runs with interrupts off, must EOI. */
typedef void trap_handler_fn(unsigned vector);
/* Installs fn for vector (32-63). */
void trap_set_handler(unsigned vector, trap_handler_fn *fn);

#endif
