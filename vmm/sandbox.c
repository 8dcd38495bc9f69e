/*
 * sandbox.c - the seccomp allow-list the VMM runs the guest under
 * (sandbox.h).
 *
 * Setup (opening /dev/kvm, files, sysfs, creating the VM and the I/O
 * thread) is done with every system call; then sandbox_enter() narrows
 * both threads, at once (SECCOMP_FILTER_FLAG_TSYNC), to what the run loop and
 * the I/O thread do while the guest runs: KVM_RUN and the few ioctls a
 * guest's config writes cause (a BAR moved: memory slots and ioeventfds;
 * an MSI-X entry written: GSI routes), reads and writes of the eventfds
 * and the console, disk I/O on descriptors already open, and the memory
 * and thread calls of the C library. Nothing can open a file, make a
 * socket, map executable memory or start a program; any call not listed
 * traps, is named on stderr and kills the whole process with SIGSYS, so a
 * guest that finds a bug in a device model finds a process that can do
 * little more than it already could. The list itself is in
 * tools/build/gen_sandbox_bpf.c, which libseccomp compiles to BPF at
 * build time; here it is installed with one prctl and one seccomp call.
 */
#include "sandbox.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errmsg.h"
#include "sandbox_bpf.h" /* sandbox_bpf[], sandbox_listing[]: generated */

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
	struct sock_fprog prog = {
		.len = sizeof(sandbox_bpf) / sizeof(sandbox_bpf[0]),
		.filter = (struct sock_filter *)(uintptr_t)sandbox_bpf, /* the kernel only reads it */
	};

	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return errmsg(err, errlen, "cannot install the seccomp sandbox: sigaction: %s", strerror(errno));
	/* No new privileges: what lets an unprivileged process install a
	 * filter, and a promise that no exec could shed it (none can run). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errmsg(err, errlen, "cannot install the seccomp sandbox: PR_SET_NO_NEW_PRIVS: %s "
			      "(--no-sandbox runs without it)", strerror(errno));
	/* TSYNC: the I/O thread gets the same filter in the same step. A
	 * positive result is the thread that could not take it. */
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r < 0)
		return errmsg(err, errlen, "cannot install the seccomp sandbox: seccomp: %s (--no-sandbox runs without it)",
			      strerror(errno));
	if (r > 0)
		return errmsg(err, errlen, "cannot install the seccomp sandbox: thread %ld could not take it "
			      "(--no-sandbox runs without it)", r);
	return 0;
}

void sandbox_print(FILE *f)
{
	fprintf(f, "%s\n", sandbox_listing);
}
