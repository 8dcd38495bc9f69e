/*
 * sandbox.c - the seccomp allow-list the VMM runs the guest under
 * (sandbox.h).
 *
 * Setup (opening /dev/kvm, files, sysfs, creating the VM and the I/O
 * thread) is done with every system call; then sandbox_enter() narrows
 * both threads, at once (SCMP_FLTATR_CTL_TSYNC), to what the run loop and
 * the I/O thread do while the guest runs: KVM_RUN and the few ioctls a
 * guest's config writes cause (a BAR moved: memory slots and ioeventfds;
 * an MSI-X entry written: GSI routes), reads and writes of the eventfds
 * and the console, disk I/O on descriptors already open, and the memory
 * and thread calls of the C library. Nothing can open a file, make a
 * socket, map executable memory or start a program; any call not listed
 * traps, is named on stderr and kills the whole process with SIGSYS, so a
 * guest that finds a bug in a device model finds a process that can do
 * little more than it already could. libseccomp (Debian's
 * libseccomp-dev) writes the BPF.
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errmsg.h"

/* Every call allowed with any arguments. Kept in the order a reader
 * would ask: I/O, memory, threads and signals, the end. */
static const int sandbox_calls[] = {
	/* the console, eventfds, epoll; disk and passthrough I/O */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(pread64), SCMP_SYS(pwrite64),
	SCMP_SYS(preadv), SCMP_SYS(pwritev), SCMP_SYS(fdatasync), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(getrandom),
	/* the C library's memory (mmap and mprotect: see the rules below) */
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(mremap),
	/* locks, the timeout's signal, the I/O thread's end */
	SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(alarm),
	SCMP_SYS(clock_gettime), SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(sched_yield),
	SCMP_SYS(getpid), SCMP_SYS(gettid),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
#ifdef __SANITIZE_ADDRESS__
	/* build/vmm-asan only: what ASan/UBSan's own reports need (reading
	 * /proc/self/maps, an alternate stack, the abort that ends them). */
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(prctl), SCMP_SYS(sigaltstack),
	SCMP_SYS(rt_sigaction), SCMP_SYS(tgkill), SCMP_SYS(getppid), SCMP_SYS(sched_getaffinity),
#endif
};

/* The ioctls a running guest can cause, each with its name. */
#define SANDBOX_IOCTL(req) { req, #req }
static const struct {
	unsigned long req;
	const char *name;
} sandbox_ioctls[] = {
	SANDBOX_IOCTL(KVM_RUN),                    /* the run loop */
	SANDBOX_IOCTL(KVM_GET_REGS),               /* rip for a report */
	SANDBOX_IOCTL(KVM_SET_USER_MEMORY_REGION), /* a passthrough BAR moved */
	SANDBOX_IOCTL(KVM_IOEVENTFD),              /* a virtio or pci-testdev BAR moved */
	SANDBOX_IOCTL(KVM_SET_GSI_ROUTING),        /* an MSI-X entry written */
	SANDBOX_IOCTL(KVM_GET_MSRS),               /* the guest's TSC, for the irq bench (irqbench.c) */
	SANDBOX_IOCTL(BLKGETSIZE64),               /* a block device's size, per request */
};

/* A call off the list traps here first: say which, once, then die of
 * SIGSYS all the same (SA_RESETHAND made the next one fatal; SA_NODEFER
 * lets it in at once). Only async-signal-safe work: a fixed buffer and
 * write(2). */
static void sandbox_violation(int sig, siginfo_t *si, void *uc)
{
	char msg[160] = "vmm: sandbox: system call ";
	size_t n = strlen(msg);
	char digits[12];
	int k = 0;
	unsigned v = (unsigned)si->si_syscall;

	do
		digits[k++] = (char)('0' + v % 10);
	while ((v /= 10) && k < (int)sizeof(digits));
	while (k)
		msg[n++] = digits[--k];
	static const char tail[] = " is not on the allow-list (ausyscall NUMBER names it); stopping with SIGSYS. "
				   "--no-sandbox runs without it: please report the call\n";
	memcpy(msg + n, tail, sizeof(tail) - 1 < sizeof(msg) - n ? sizeof(tail) - 1 : sizeof(msg) - n);
	n += sizeof(tail) - 1 < sizeof(msg) - n ? sizeof(tail) - 1 : sizeof(msg) - n;
	if (write(STDERR_FILENO, msg, n) < 0) {
		/* nothing more to say */
	}
	syscall(SYS_acct, NULL); /* off every list: SIGSYS again, now with its default action */
	_exit(128 + SIGSYS);
}

int sandbox_enter(char *err, size_t errlen)
{
	struct sigaction sa = { .sa_sigaction = sandbox_violation, .sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER };
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return errmsg(err, errlen, "cannot install the seccomp sandbox: sigaction: %s", strerror(errno));
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r = ctx ? 0 : -ENOMEM;

	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1); /* the I/O thread too */
	for (size_t i = 0; !r && i < sizeof(sandbox_calls) / sizeof(sandbox_calls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, sandbox_calls[i], 0);
	for (size_t i = 0; !r && i < sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, sandbox_ioctls[i].req));
	/* Memory, but never executable memory. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r ? errmsg(err, errlen, "cannot install the seccomp sandbox: %s (--no-sandbox runs without it)",
			  strerror(-r))
		 : 0;
}

void sandbox_print(FILE *f)
{
	fprintf(f, "sandbox: system calls allowed:");
	for (size_t i = 0; i < sizeof(sandbox_calls) / sizeof(sandbox_calls[0]); i++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, sandbox_calls[i]);
		fprintf(f, " %s", name ? name : "?");
		free(name);
	}
	fprintf(f, " mmap mprotect (not PROT_EXEC) ioctl (");
	for (size_t i = 0; i < sizeof(sandbox_ioctls) / sizeof(sandbox_ioctls[0]); i++)
		fprintf(f, "%s%s", i ? " " : "", sandbox_ioctls[i].name);
	fprintf(f, "); anything else kills the process (SIGSYS)\n");
}
