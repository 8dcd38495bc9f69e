/*
 * kvm.c - the VM, its vCPU and the run loop.
 *
 * Creation follows the KVM API document's order: open /dev/kvm, check the
 * API version, KVM_CREATE_VM, back guest RAM with anonymous memory and
 * register it as memory slot 0 (the address-space registry's number), KVM_CREATE_VCPU, map its kvm_run, give it
 * the CPUID KVM supports. The PVH entry state is 32-bit protected mode with
 * flat 4 GiB segments, paging off, %ebx = hvm_start_info.
 *
 * The run loop is one switch over exit_reason: I/O and MMIO go to io.c's
 * table; the guest's exit port sets vm->stop; anything else is fatal and
 * reported with the reason and rip.
 */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aspace.h"
#include "devices.h"
#include "errmsg.h"
#include "exitlab_abi.h"
#include "io.h"
#include "layout.h"
#include "msr.h"
#include "romslot.h"
#include "trace.h"
#include "vmm.h"

int kvm_ram_alloc(struct vm *vm, uint64_t ram_size, char *err, size_t errlen)
{
	/* MAP_NORESERVE: pages are touched lazily, so a large --mem costs
	 * nothing until the guest uses it. */
	vm->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return errmsg(err, errlen, "cannot reserve %llu MiB for guest RAM: %s",
			    (unsigned long long)(ram_size >> 20), strerror(errno));
	}
	vm->ram_size = ram_size;
	return 0;
}

int kvm_vm_create(struct vm *vm, char *err, size_t errlen)
{
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return errmsg(err, errlen, "cannot open /dev/kvm: %s (is KVM loaded, and may this user use it?)",
			    strerror(errno));
	int api = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION)
		return errmsg(err, errlen, "KVM API version %d, expected %d", api, KVM_API_VERSION);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return errmsg(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));

	/* RAM's slot (0) and the LAPIC page come from the address-space
	 * registry, which then keeps every BAR off them. */
	unsigned slot;
	if (aspace_slot_add(ASPACE_RAM, 0, vm->ram_size, "RAM", &slot, err, errlen) ||
	    aspace_add(ASPACE_LAPIC, LAYOUT_LAPIC, LAYOUT_LAPIC_SIZE, "LAPIC", err, errlen))
		return -1;
	if (kvm_memslot_set(vm, slot, 0, vm->ram_size, vm->ram))
		return errmsg(err, errlen, "KVM_SET_USER_MEMORY_REGION (%llu MiB): %s",
			    (unsigned long long)(vm->ram_size >> 20), strerror(errno));
	return 0;
}

int kvm_memslot_set(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};
	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -1 : 0;
}

/* KVM's supported CPUID, as it is, for the guest. A call with too small a
 * table fails with E2BIG after doing the work (about 1 ms here), so the
 * first try is big enough for today's kernels (70-100 entries). */
static int vcpu_set_cpuid(struct vm *vm, char *err, size_t errlen)
{
	int n = 256;

	for (;;) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c)
			return errmsg(err, errlen, "out of memory");
		c->nent = (uint32_t)n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
			free(c);
			if (errno == E2BIG && n < 4096) {
				n *= 2;
				continue;
			}
			return errmsg(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		}
		int r = ioctl(vm->vcpu_fd, KVM_SET_CPUID2, c);
		free(c);
		return r < 0 ? errmsg(err, errlen, "KVM_SET_CPUID2: %s", strerror(errno)) : 0;
	}
}

int kvm_vcpu_create(struct vm *vm, char *err, size_t errlen)
{
	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return errmsg(err, errlen, "KVM_CREATE_VCPU: %s", strerror(errno));
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz < (int)sizeof(struct kvm_run))
		return errmsg(err, errlen, "KVM_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = (size_t)sz;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return errmsg(err, errlen, "mmap of kvm_run: %s", strerror(errno));
	}
	int khz = ioctl(vm->vcpu_fd, KVM_GET_TSC_KHZ, 0);
	vm->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	return vcpu_set_cpuid(vm, err, errlen);
}

/* A flat 4 GiB segment: code (type 0xb, execute/read, accessed) or data
 * (type 0x3, read/write, accessed), 32-bit, page granular. */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

int kvm_vcpu_set_pvh_entry(struct vm *vm, uint32_t entry, uint64_t start_info, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = entry, .rbx = start_info, .rflags = 0x2 };

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return errmsg(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
	sregs.cs = flat_segment(0x08, 0xb);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = flat_segment(0x10, 0x3);
	sregs.cr0 = 0x11; /* PE | ET: protected mode, paging off */
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return errmsg(err, errlen, "KVM_SET_SREGS: %s", strerror(errno));
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return errmsg(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

static volatile sig_atomic_t timed_out;
static struct kvm_run *volatile alarm_run;
static unsigned timeout_s;

/* In the run loop, the alarm may land between the loop's check and
 * KVM_RUN: immediate_exit makes that KVM_RUN return at once instead of
 * running on. Before it (setup), nothing is there to stop: end here. */
static void on_alarm(int sig)
{
	static const char msg[] = "vmm: timed out before the guest started (--timeout)\n";
	timed_out = 1;
	console_cut = 1;
	if (alarm_run) {
		alarm_run->immediate_exit = 1;
		return;
	}
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
		/* nothing else to do */
	}
	_exit(EXITLAB_RC_TIMEOUT);
}

void kvm_timeout_arm(unsigned seconds)
{
	timeout_s = seconds;
	if (!seconds)
		return;
	/* No SA_RESTART: the signal makes KVM_RUN return EINTR. */
	struct sigaction sa = { .sa_handler = on_alarm };
	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

static uint64_t vcpu_rip(struct vm *vm)
{
	struct kvm_regs regs;
	return ioctl(vm->vcpu_fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
}

/* The VM cannot go on: say why and where, and end with EXITLAB_RC_CRASH. */
static int vm_died(struct vm *vm, const char *what)
{
	console_rescue(vm); /* what the guest said but never flushed comes first */
	uart_flush();
	fprintf(stderr, "vmm: %s (exit reason %u) at rip 0x%llx\n", what, vm->run->exit_reason,
		(unsigned long long)vcpu_rip(vm));
	return EXITLAB_RC_CRASH;
}

int kvm_run_loop(struct vm *vm)
{
	struct kvm_run *run = vm->run;

	alarm_run = run;
	while (!vm->stop) {
		if (timed_out) {
			/* Stdout may be a pipe nobody reads: give the last line one
			 * second, then drop the console, so the timeout holds. */
			console_cut = 0;
			alarm(1);
			console_rescue(vm);
			console_abandon();
			alarm(0);
			fprintf(stderr, "vmm: timed out after %u s (rip 0x%llx)\n", timeout_s,
				(unsigned long long)vcpu_rip(vm));
			return EXITLAB_RC_TIMEOUT;
		}
		if (trace_on(TRACE_EXIT))
			trace_emit(TRACE_EXIT, "enter");
		if (ioctl(vm->vcpu_fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "vmm: KVM_RUN: %s\n", strerror(errno));
			return EXITLAB_RC_ERROR;
		}
		if (trace_on(TRACE_EXIT))
			trace_emit(TRACE_EXIT, "%s", exit_reason_name(run->exit_reason));
		io_count_exit(run->exit_reason);
		if (vm->test_die_first_exit) /* before the exit is served: the guest's flush, if it is one, is lost */
			return vm_died(vm, "test hook: the guest's first exit to the VMM ends the VM, as a crash would");
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			io_pio(vm, run->io.port, (uint8_t *)run + run->io.data_offset, run->io.size, run->io.count,
			       run->io.direction == KVM_EXIT_IO_OUT);
			break;
		case KVM_EXIT_MMIO:
			if (!romslot_mmio(run->mmio.phys_addr, run->mmio.data, run->mmio.len, run->mmio.is_write))
				io_mmio(vm, run->mmio.phys_addr, run->mmio.data, run->mmio.len, run->mmio.is_write);
			break;
		case KVM_EXIT_X86_RDMSR:
		case KVM_EXIT_X86_WRMSR:
			msr_exit(run, run->exit_reason == KVM_EXIT_X86_WRMSR);
			break;
		case KVM_EXIT_HLT:
			return vm_died(vm, "guest halted without writing its status to the exit port");
		case KVM_EXIT_SHUTDOWN:
			return vm_died(vm, "guest shut down (triple fault)");
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "vmm: hardware entry failure reason 0x%llx\n",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return vm_died(vm, "KVM could not enter the guest");
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "vmm: KVM internal error, suberror %u\n", run->internal.suberror);
			return vm_died(vm, "KVM internal error");
		case KVM_EXIT_INTR:
			break; /* a signal: the loop checks for the timeout */
		default:
			return vm_died(vm, "unhandled exit");
		}
	}
	alarm(0);
	return vm->exit_status;
}

void kvm_vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->run_size);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}
