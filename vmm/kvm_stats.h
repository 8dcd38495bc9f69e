/*
 * kvm_stats.h - KVM's binary statistics for --stats: what the kernel
 * counted of the guest's run, the exits it finished itself included.
 */
#ifndef VMM_KVM_STATS_H
#define VMM_KVM_STATS_H

#include <stdint.h>
#include <stdio.h>

struct vm;

/* Opens the VM's and the vCPU's statistics and takes the first reading
 * (call just before the guest runs, before the sandbox). On a kernel
 * without them, remembers why, for kvm_stats_print(). */
void kvm_stats_begin(const struct vm *vm);
/* Reads again and prints every counter that moved since, and the vCPU's
 * exits against userspace_exits (those the VMM handled). */
void kvm_stats_print(FILE *out, uint64_t userspace_exits);

#endif
