/*
 * trap_vectors.h - the IDT's size and fixed vectors, shared by entry.S
 * (which reserves and loads the IDT) and trap.c (which fills it). Macros
 * only: the assembler includes this file.
 */
#ifndef GUEST_TRAP_VECTORS_H
#define GUEST_TRAP_VECTORS_H

/* 0-31 exceptions, 32-63 device interrupts. ring0_call (trap.h) enters
 * through #BP's gate: on this host's KVM, INT3 is the one software
 * interrupt that CPL 3 can raise (INT n and SYSCALL fault or misbehave).
 * The INT3's address tells a ring0_call from a stray one, reported as #BP. */
#define TRAP_RING0_VECTOR 3
#define TRAP_IDT_VECTORS 64
#define TRAP_GATE_SIZE 16

#endif
