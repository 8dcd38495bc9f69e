/*
 * msr.h - EXITLAB_MSR_SCRATCH, an MSR the VMM serves in userspace
 * (exitlab_abi.h), for the bench's MSR exits.
 */
#ifndef VMM_MSR_H
#define VMM_MSR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct vm;
struct kvm_run;

/* Asks KVM to send accesses to the scratch MSR to userspace. 0, or -1 with
 * err when this KVM cannot (the VMM runs on without it). */
int msr_init(struct vm *vm, char *err, size_t errlen);
bool msr_served(void); /* msr_init succeeded: advertise it to the guest */
/* KVM_EXIT_X86_RDMSR (is_write false) or KVM_EXIT_X86_WRMSR. */
void msr_exit(struct kvm_run *run, bool is_write);
void msr_stats_print(FILE *out);

#endif
