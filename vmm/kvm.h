/*
 * kvm.h - KVM plumbing: create the VM and its one vCPU, put the vCPU in the
 * PVH entry state, and run it until a device stops the VM or it dies.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* Each returns 0, or -1 with a message in err. */
int kvm_ram_alloc(struct vm *vm, uint64_t ram_size, char *err, size_t errlen);
int kvm_vm_create(struct vm *vm, char *err, size_t errlen); /* registers vm->ram */
/* Maps host memory at hva into the guest at [gpa, gpa + size) as memory
 * slot `slot` (1 and up; 0 is RAM); size 0 removes the slot. 0 or -1. */
int kvm_memslot_set(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *hva);
int kvm_vcpu_create(struct vm *vm, char *err, size_t errlen);
int kvm_vcpu_set_pvh_entry(struct vm *vm, uint32_t entry, uint64_t start_info, char *err, size_t errlen);
/* --timeout: arms SIGALRM for the whole process (0: none). Before the run
 * loop the alarm ends the process (EXITLAB_RC_TIMEOUT); in it, the loop. */
void kvm_timeout_arm(unsigned seconds);
/* Runs to the end; returns the process exit code (EXITLAB_* codes). */
int kvm_run_loop(struct vm *vm);
void kvm_vm_destroy(struct vm *vm);

#endif
