/*
 * gen_sandbox_bpf.c - the VMM's seccomp allow-list, compiled to BPF at
 * build time (make runs it; it is no tool for users).
 *
 * The list lives here, once. libseccomp (Debian's libseccomp-dev) turns
 * it into a classic BPF program, and this program writes that program out
 * as C, with the list in words for --show-sandbox, into the header that
 * vmm/sandbox.c includes. At run time the VMM then installs the filter
 * with one prctl and one seccomp call. Asking libseccomp at run time cost
 * 0.3-0.4 ms of a 4 ms start-up here: it probes the kernel with nine
 * seccomp calls and builds the program on a dozen fresh heap pages.
 *
 * Two programs are written: the VMM's, and build/vmm-asan's, which also
 * allows what ASan's and UBSan's own reports need (chosen in the header
 * by __SANITIZE_ADDRESS__, as the compiler defines it). Both are for
 * x86-64, the only architecture the VMM runs on; the filter checks it.
 *
 *   gen_sandbox_bpf OUT.h
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Every call allowed with any arguments. Kept in the order a reader
 * would ask: I/O, memory, threads and signals, the end. */
static const int calls[] = {
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
};

/* build/vmm-asan only: what ASan/UBSan's own reports need (reading
 * /proc/self/maps, an alternate stack, the abort that ends them). */
static const int calls_asan[] = {
	SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(prctl),
	SCMP_SYS(sigaltstack), SCMP_SYS(rt_sigaction), SCMP_SYS(tgkill), SCMP_SYS(getppid),
	SCMP_SYS(sched_getaffinity),
};

/* The ioctls a running guest can cause, each with its name. */
#define IOCTL(req) { req, #req }
static const struct {
	unsigned long req;
	const char *name;
} ioctls[] = {
	IOCTL(KVM_RUN),                    /* the run loop */
	IOCTL(KVM_GET_REGS),               /* rip for a report */
	IOCTL(KVM_SET_USER_MEMORY_REGION), /* a passthrough BAR moved */
	IOCTL(KVM_IOEVENTFD),              /* a virtio or pci-testdev BAR moved */
	IOCTL(KVM_SET_GSI_ROUTING),        /* an MSI-X entry written */
	IOCTL(KVM_GET_MSRS),               /* the guest's TSC, for the irq bench (irqbench.c) */
	IOCTL(BLKGETSIZE64),               /* a block device's size, per request */
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void fail(const char *what, int r)
{
	fprintf(stderr, "gen_sandbox_bpf: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

/* The allow-list as one libseccomp filter: anything not on it traps
 * (SIGSYS, which sandbox.c turns into a message and an exit). */
static scmp_filter_ctx build(int asan)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	int r = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; !r && i < N(calls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
	for (size_t i = 0; !r && asan && i < N(calls_asan); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls_asan[i], 0);
	for (size_t i = 0; !r && i < N(ioctls); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1, SCMP_A1(SCMP_CMP_EQ, ioctls[i].req));
	/* Memory, but never executable memory. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r)
		fail("seccomp_rule_add", r);
	return ctx;
}

static void names(FILE *out, const int *nr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr[i]);
		if (!name)
			fail("seccomp_syscall_resolve_num_arch", EINVAL);
		fprintf(out, " %s", name);
		free(name);
	}
}

/* One variant: the program as an array of struct sock_filter, then the
 * list in words, as --show-sandbox prints it. */
static void emit(FILE *out, int asan)
{
	scmp_filter_ctx ctx = build(asan);
	FILE *bpf = tmpfile();
	struct sock_filter ins;
	long n = 0;

	if (!bpf)
		fail("tmpfile", errno);
	int r = seccomp_export_bpf(ctx, fileno(bpf));
	if (r)
		fail("seccomp_export_bpf", r);
	rewind(bpf);
	fprintf(out, "static const struct sock_filter sandbox_bpf[] = {\n");
	while (fread(&ins, sizeof(ins), 1, bpf) == 1 && ++n)
		fprintf(out, "\t{ 0x%02x, %u, %u, 0x%08x },\n", ins.code, ins.jt, ins.jf, ins.k);
	fprintf(out, "};\n");
	if (n == 0 || n > BPF_MAXINSNS)
		fail("seccomp_export_bpf wrote no program the kernel takes", EINVAL);
	fclose(bpf);
	seccomp_release(ctx);

	fprintf(out, "static const char sandbox_listing[] = \"sandbox: system calls allowed:");
	names(out, calls, N(calls));
	if (asan)
		names(out, calls_asan, N(calls_asan));
	fprintf(out, " mmap mprotect (not PROT_EXEC) ioctl (");
	for (size_t i = 0; i < N(ioctls); i++)
		fprintf(out, "%s%s", i ? " " : "", ioctls[i].name);
	fprintf(out, "); anything else kills the process (SIGSYS)\";\n");
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_sandbox_bpf OUT.h (run by make)\n");
		return 2;
	}
	if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
		fprintf(stderr, "gen_sandbox_bpf: the VMM's sandbox is written for x86-64 hosts\n");
		return 1;
	}
	/* Written whole to a temporary name, then renamed: make never sees
	 * half a header. */
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	FILE *out = fopen(tmp, "w");
	if (!out)
		fail(tmp, errno);
	fprintf(out, "/* Generated by tools/build/gen_sandbox_bpf.c with libseccomp: do not edit. */\n");
	fprintf(out, "#ifdef __SANITIZE_ADDRESS__\n");
	emit(out, 1);
	fprintf(out, "#else\n");
	emit(out, 0);
	fprintf(out, "#endif\n");
	if (fclose(out) || rename(tmp, argv[1]))
		fail(argv[1], errno);
	return 0;
}
