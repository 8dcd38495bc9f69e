/*
 * vmm.h - the VM object shared by the VMM's modules, and the one place
 * where guest-physical addresses become host pointers.
 *
 * The guest is hostile: every address and length it hands us goes through
 * vm_gpa_ptr(), which checks the whole range against guest RAM without
 * overflow and returns NULL when any byte falls outside.
 */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_VERSION "0.1"

struct kvm_run;

struct vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *ram;      /* guest-physical 0 */
	uint64_t ram_size;
	uint64_t tsc_khz;  /* 0 if KVM cannot say */
	bool stop;         /* set by a device to end the run loop */
	int exit_status;   /* the process exit code once stopped */
	bool test_die_first_exit; /* --test-hook die-at-first-exit: the tests' stand-in for a crash */
};

/* Host pointer for guest-physical [gpa, gpa + len), or NULL if any part of
 * it lies outside guest RAM. */
static inline void *vm_gpa_ptr(const struct vm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->ram_size || len > vm->ram_size - gpa)
		return NULL;
	return vm->ram + gpa;
}

/* Guest-shared memory is read once: a scalar the guest may change at any
 * moment (a ring index, a descriptor field) is loaded exactly once into a
 * local, which is then checked and used, so the guest cannot change it
 * between the check and the use (Linux's READ_ONCE). A plain load would
 * let the compiler load it again later. */
#define GUEST_READ_ONCE(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* Ends the run loop with a process exit code (EXITLAB_* in exitlab_abi.h). */
static inline void vm_stop(struct vm *vm, int status)
{
	vm->stop = true;
	vm->exit_status = status;
}

#endif
