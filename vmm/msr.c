/*
 * msr.c - the one MSR the VMM serves itself (EXITLAB_MSR_SCRATCH), so the
 * bench can time an MSR exit that reaches userspace next to one KVM
 * finishes in the kernel.
 *
 * KVM handles every MSR in the kernel unless told otherwise. Two steps
 * send this one to us (Documentation/virt/kvm/api.rst, KVM_CAP_X86_USER_SPACE_MSR
 * and KVM_X86_SET_MSR_FILTER): enable exits to userspace for MSRs a filter
 * denies, then install a filter that allows everything by default and
 * denies just this index, for reads and writes. An access then comes back
 * from KVM_RUN as KVM_EXIT_X86_RDMSR / KVM_EXIT_X86_WRMSR with the index;
 * we fill in the value (or accept it) and set error = 0, or error = 1 to
 * have KVM inject #GP for an index we do not know (none should come).
 */
#include "msr.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "errmsg.h"
#include "exitlab_abi.h"
#include "vmm.h"

static uint64_t scratch;             /* what RDMSR returns: the last WRMSR's value */
static uint64_t reads, writes, others; /* for --stats */
static bool served;

int msr_init(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR, .args = { KVM_MSR_EXIT_REASON_FILTER } };
	/* A bitmap bit clear denies the MSR to the kernel: one index, one byte. */
	static uint8_t deny[1];
	struct kvm_msr_filter filter = {
		.flags = KVM_MSR_FILTER_DEFAULT_ALLOW,
		.ranges = { { .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE, .nmsrs = 1,
			      .base = EXITLAB_MSR_SCRATCH, .bitmap = deny } },
	};

	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_USER_SPACE_MSR) <= 0 ||
	    ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return errmsg(err, errlen, "this KVM cannot send MSR accesses to userspace (KVM_CAP_X86_MSR_FILTER)");
	if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return errmsg(err, errlen, "KVM_ENABLE_CAP(KVM_CAP_X86_USER_SPACE_MSR): %s", strerror(errno));
	if (ioctl(vm->vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0)
		return errmsg(err, errlen, "KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
	served = true;
	return 0;
}

bool msr_served(void) { return served; }

void msr_exit(struct kvm_run *run, bool is_write)
{
	if (run->msr.index != EXITLAB_MSR_SCRATCH) { /* the filter sends us no other */
		others++;
		run->msr.error = 1;
		return;
	}
	if (is_write) {
		scratch = run->msr.data;
		writes++;
	} else {
		run->msr.data = scratch;
		reads++;
	}
	run->msr.error = 0;
}

void msr_stats_print(FILE *out)
{
	if (!served)
		return;
	fprintf(out, "stats: msr 0x%08x (exitlab scratch, in userspace) reads %llu writes %llu", EXITLAB_MSR_SCRATCH,
		(unsigned long long)reads, (unsigned long long)writes);
	fprintf(out, others ? ", %llu of other MSRs refused (#GP)\n" : "\n", (unsigned long long)others);
}
