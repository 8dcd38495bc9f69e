/*
 * floor.c - the floor under every exit the guest benchmarks: the same
 * instruction, in the same CPU mode (64-bit, CPL 3, ports opened by the
 * TSS, as the guest's bench loops run), timed the same way (batches between serialized TSC
 * reads, the empty batch's cost subtracted), in a VM with no device model
 * at all: a bare KVM_RUN loop that re-enters at once after every exit to
 * userspace. For the ioeventfd kinds an eventfd is registered at the
 * address and nobody reads it. What a VMM's figure adds to this one is
 * that VMM's own cost.
 *
 * Except for one thing no VMM can leave out: a notify it serves wakes the
 * thread that waits on the eventfd, and the kernel does that waking inside
 * the exit, on the vCPU's time (about 1 us here: a cross-CPU wake-up).
 * notify_woken is notify with such a thread, as the exitlab VMM's I/O
 * thread waits (epoll_wait, then read): the floor for a VMM that serves its
 * notifies from a sleeping thread. notify against notify_woken is the
 * waking's cost; a VMM's notify against notify_woken is that VMM's own.
 *
 * It prints the guest's own format (guest/bench.c), so scripts/bench reads
 * both with one parser:
 *
 *   bench: S samples of B operations per test, TSC K kHz, ...
 *   bench NAME iters=N cycles=C ns=X ... batch=B samples=S
 *   bench-raw NAME batch=B from=K CYCLES,...
 *
 * usage: floor [--samples N] [--batch N] [--raw] [KIND,...|all]
 *        floor --list | --help | --version
 * Exit status: 0, 1 if KVM or a kind failed, 2 for a bad command line.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "exitlab_abi.h" /* EXITLAB_PORT_COM1_SCR: the guest's pio_write/pio_read port */
#include "pci_access.h"
#include "vmm.h"         /* VMM_VERSION */

/* Guest-physical layout: 2 MiB of RAM from 0, the rest of the low 4 GiB
 * mapped by the page tables but backed by nothing (MMIO exits). */
#define RAM_SIZE (2u << 20)
#define PML4 0x1000
#define PDPT 0x2000
#define PD0 0x3000 /* four PDs, 2 MiB pages: 4 GiB */
#define GDT 0x7000
#define TSS 0x8000 /* 104 bytes, then the I/O bitmap: every port open to CPL 3 */
#define TSS_LIMIT (104 + 65536 / 8 + 1 - 1)
#define CODE 0x10000
#define SAMPLES_AT 0x100000 /* one u64 per sample */
#define MAX_SAMPLES 4095
#define DONE_PORT 0xf4 /* the guest's "finished" OUT, as the exitlab ABI's exit port */

/* The addresses the kinds touch; like the guest's, but in a VM of our own. */
#define MMIO_USER 0xd0000000ull   /* nothing there: an MMIO exit to userspace */
#define MMIO_WILD 0xd0001000ull   /* wildcard ioeventfd */
#define MMIO_MATCH 0xd0002000ull  /* datamatch ioeventfd */
#define MMIO_NOTIFY 0xd0003000ull /* 2-byte ioeventfd, as a virtio notify */
#define PIO_USER 0xc000
#define PIO_WILD 0xc001
#define PIO_MATCH 0xc002
#define ECAM_AT 0xb0000000ull
#define APIC_VERSION_AT 0xfee00030ull
#define PIC_MASTER_IMR 0x21
#define DATAMATCH 0xfa

/*
 * The guest code, position-independent, copied to CODE. Each kind is a
 * block entered with r12 = samples, r13 = batch, r14 = where the samples
 * go, r9 = the address or port its operation uses; it ends with an OUT to
 * DONE_PORT and then loops on it, so a stray re-entry does nothing.
 */
#define FLOOR_KIND(name, op)                                                                                   \
	"floor_" #name ":\n"                                                                                   \
	"1: lfence; rdtsc; lfence; shl $32, %rdx; or %rdx, %rax; mov %rax, %r15\n"                            \
	"   mov %r13, %rcx\n"                                                                                  \
	"2: " op "\n"                                                                                          \
	"   dec %rcx; jnz 2b\n"                                                                                \
	"   lfence; rdtsc; lfence; shl $32, %rdx; or %rdx, %rax; sub %r15, %rax\n"                            \
	"   mov %rax, (%r14); add $8, %r14\n"                                                                  \
	"   dec %r12; jnz 1b\n"                                                                                \
	"3: mov $0xf4, %dx; out %al, %dx; jmp 3b\n"

__asm__(".pushsection .rodata\n"
	".globl floor_code_start, floor_code_end\n"
	".code64\n"
	"floor_code_start:\n"
	FLOOR_KIND(tsc, "")
	FLOOR_KIND(cpuid, "mov %rcx, %r10; xor %eax, %eax; xor %ecx, %ecx; cpuid; mov %r10, %rcx")
	FLOOR_KIND(pio_write, "mov %r9w, %dx; out %al, %dx")
	FLOOR_KIND(pio_read, "mov %r9w, %dx; in %dx, %al")
	FLOOR_KIND(mmio_read, "mov (%r9), %eax")
	FLOOR_KIND(mmio_write8, "movb $0xfa, (%r9)")
	FLOOR_KIND(mmio_write16, "movw $0, (%r9)")
	FLOOR_KIND(pio_write8, "mov %r9w, %dx; mov $0xfa, %al; out %al, %dx")
	FLOOR_KIND(cf8, "mov $0xcf8, %dx; mov $0x80000000, %eax; out %eax, %dx; mov $0xcfc, %dx; in %dx, %eax")
	"floor_code_end:\n"
	".popsection\n");

extern const unsigned char floor_code_start[], floor_code_end[];
extern const unsigned char floor_tsc[], floor_cpuid[], floor_pio_write[], floor_pio_read[], floor_mmio_read[],
	floor_mmio_write8[], floor_mmio_write16[], floor_pio_write8[], floor_cf8[];

enum fd_kind { FD_NONE, FD_MMIO, FD_PIO };

struct kind {
	const char *name; /* the guest's test name (guest/bench.c) */
	const unsigned char *code;
	uint64_t r9;      /* address or port */
	enum fd_kind fd;  /* an ioeventfd at r9 */
	unsigned fd_len;
	int datamatch;    /* -1: wildcard */
	bool woken;       /* a thread waits on the eventfd and reads it */
};

static const struct kind kinds[] = {
	{ "tsc", floor_tsc, 0, FD_NONE, 0, -1, false },
	{ "cpuid", floor_cpuid, 0, FD_NONE, 0, -1, false },
	{ "pio_write", floor_pio_write, EXITLAB_PORT_COM1_SCR, FD_NONE, 0, -1, false },
	{ "pio_read", floor_pio_read, EXITLAB_PORT_COM1_SCR, FD_NONE, 0, -1, false },
	{ "pio_kernel", floor_pio_read, PIC_MASTER_IMR, FD_NONE, 0, -1, false },
	{ "mmio_kernel", floor_mmio_read, APIC_VERSION_AT, FD_NONE, 0, -1, false },
	{ "cfg_cf8", floor_cf8, 0, FD_NONE, 0, -1, false },
	{ "cfg_ecam", floor_mmio_read, ECAM_AT, FD_NONE, 0, -1, false },
	{ "tdev_mmio", floor_mmio_write8, MMIO_USER, FD_NONE, 0, -1, false },
	{ "tdev_mmio_wild", floor_mmio_write8, MMIO_WILD, FD_MMIO, 1, -1, false },
	{ "tdev_mmio_match", floor_mmio_write8, MMIO_MATCH, FD_MMIO, 1, DATAMATCH, false },
	{ "tdev_io", floor_pio_write8, PIO_USER, FD_NONE, 0, -1, false },
	{ "tdev_io_wild", floor_pio_write8, PIO_WILD, FD_PIO, 1, -1, false },
	{ "tdev_io_match", floor_pio_write8, PIO_MATCH, FD_PIO, 1, DATAMATCH, false },
	{ "notify", floor_mmio_write16, MMIO_NOTIFY, FD_MMIO, 2, -1, false },
	{ "notify_noio", floor_mmio_write16, MMIO_USER, FD_NONE, 0, -1, false }, /* the row "notify (no ioeventfd)" */
	{ "notify_woken", floor_mmio_write16, MMIO_NOTIFY, FD_MMIO, 2, -1, true },
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

struct floor_vm {
	int kvm, vm, vcpu;
	uint8_t *ram;
	struct kvm_run *run;
	unsigned tsc_khz;
};

static int fail(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return -1;
}

/* What the guest has too (guest/entry.S): identity page tables for the
 * low 4 GiB (2 MiB pages, user-accessible, the top 2 GiB uncached), a GDT,
 * a TSS whose I/O bitmap opens every port to CPL 3 (not IOPL 3: this host's
 * KVM drops IOPL at the first exit), and the vCPU in 64-bit mode at CPL 3. */
static int floor_cpu_setup(struct floor_vm *f)
{
	uint64_t *pml4 = (uint64_t *)(f->ram + PML4), *pdpt = (uint64_t *)(f->ram + PDPT);
	const uint64_t P = 1, RW = 2, US = 4, PWT = 8, PCD = 0x10, PS = 0x80;

	pml4[0] = PDPT | P | RW | US;
	for (unsigned i = 0; i < 4; i++) {
		uint64_t *pd = (uint64_t *)(f->ram + PD0 + i * 0x1000);
		pdpt[i] = (PD0 + i * 0x1000) | P | RW | US;
		for (unsigned j = 0; j < 512; j++)
			pd[j] = ((uint64_t)i << 30 | (uint64_t)j << 21) | P | RW | US | PS | (i >= 2 ? PCD | PWT : 0);
	}
	/* null, kernel code, kernel data, user data, user code (64-bit). */
	uint64_t *gdt = (uint64_t *)(f->ram + GDT);
	gdt[1] = 0x00209b0000000000ull;
	gdt[2] = 0x0000930000000000ull;
	gdt[3] = 0x0000f30000000000ull;
	gdt[4] = 0x0020fb0000000000ull;
	memset(f->ram + TSS, 0, TSS_LIMIT + 1);
	f->ram[TSS + 0x66] = 104; /* I/O map base: right after the TSS proper */
	f->ram[TSS + TSS_LIMIT] = 0xff;

	struct kvm_sregs s;
	if (ioctl(f->vcpu, KVM_GET_SREGS, &s) < 0)
		return fail("KVM_GET_SREGS");
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 4 << 3 | 3, .type = 11, .present = 1,
				    .dpl = 3, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 3 << 3 | 3, .type = 3, .present = 1,
				    .dpl = 3, .s = 1, .db = 1, .g = 1 };
	s.cs = code;
	s.ds = s.es = s.fs = s.gs = s.ss = data;
	s.gdt.base = GDT;
	s.gdt.limit = 5 * 8 - 1;
	s.tr = (struct kvm_segment){ .base = TSS, .limit = TSS_LIMIT, .selector = 5 << 3, .type = 11 /* busy */,
				     .present = 1 };
	s.cr3 = PML4;
	s.cr4 = 1u << 5;                        /* PAE */
	s.cr0 = 1u << 0 | 1u << 31 | 1u << 16; /* PE, PG, WP */
	s.efer = 1u << 8 | 1u << 10;            /* LME, LMA */
	if (ioctl(f->vcpu, KVM_SET_SREGS, &s) < 0)
		return fail("KVM_SET_SREGS (64-bit CPL 3)");
	return 0;
}

/* The CPUID the host supports, as the exitlab VMM gives its guest. */
static int floor_set_cpuid(struct floor_vm *f)
{
	for (int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c)
			return fail("calloc");
		c->nent = (uint32_t)n;
		if (ioctl(f->kvm, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			int r = ioctl(f->vcpu, KVM_SET_CPUID2, c);
			free(c);
			return r < 0 ? fail("KVM_SET_CPUID2") : 0;
		}
		free(c);
		if (errno != E2BIG)
			break;
	}
	return fail("KVM_GET_SUPPORTED_CPUID");
}

static int floor_open(struct floor_vm *f)
{
	f->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (f->kvm < 0)
		return fail("/dev/kvm");
	f->vm = ioctl(f->kvm, KVM_CREATE_VM, 0);
	if (f->vm < 0)
		return fail("KVM_CREATE_VM");
	/* The in-kernel PIC and local APIC answer pio_kernel and mmio_kernel,
	 * as they do for the exitlab VMM and QEMU. */
	if (ioctl(f->vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP");
	f->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (f->ram == MAP_FAILED)
		return fail("guest RAM");
	struct kvm_userspace_memory_region r = { .memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)f->ram };
	if (ioctl(f->vm, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION");
	f->vcpu = ioctl(f->vm, KVM_CREATE_VCPU, 0);
	if (f->vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	int sz = ioctl(f->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	f->run = sz < 0 ? MAP_FAILED : mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, f->vcpu, 0);
	if (f->run == MAP_FAILED)
		return fail("the vCPU's kvm_run");
	int khz = ioctl(f->vcpu, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return fail("KVM_GET_TSC_KHZ");
	f->tsc_khz = (unsigned)khz;
	if (floor_set_cpuid(f))
		return -1;
	memcpy(f->ram + CODE, floor_code_start, (size_t)(floor_code_end - floor_code_start));
	return floor_cpu_setup(f);
}

static int ioeventfd(struct floor_vm *f, const struct kind *k, int fd, bool assign)
{
	struct kvm_ioeventfd io = { .addr = k->r9, .len = k->fd_len, .fd = fd };
	io.flags = (k->fd == FD_PIO ? KVM_IOEVENTFD_FLAG_PIO : 0) | (k->datamatch >= 0 ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0) |
		   (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN);
	io.datamatch = k->datamatch >= 0 ? (uint64_t)k->datamatch : 0;
	return ioctl(f->vm, KVM_IOEVENTFD, &io);
}

/* notify_woken's reader: waits in epoll_wait on the notify's eventfd and
 * on `stop`, reads the count, waits again; ends when `stop` is written. */
struct reader {
	pthread_t thread;
	int epfd, fd, stop;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;
	uint64_t n;

	for (;;) {
		struct epoll_event ev;
		int got = epoll_wait(r->epfd, &ev, 1, -1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 || ev.data.fd == r->stop)
			return NULL;
		if (read(r->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
			return NULL;
	}
}

static int reader_start(struct reader *r, int fd)
{
	struct epoll_event in = { .events = EPOLLIN };

	r->fd = fd;
	r->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (r->stop < 0 || r->epfd < 0)
		return fail("eventfd/epoll_create1 for notify_woken's reader");
	struct epoll_event stop = { .events = EPOLLIN, .data.fd = r->stop };
	in.data.fd = fd;
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &in) || epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->stop, &stop) ||
	    (errno = pthread_create(&r->thread, NULL, reader_main, r)) != 0) {
		close(r->stop);
		close(r->epfd);
		return fail("notify_woken's reader");
	}
	return 0;
}

static void reader_stop(struct reader *r)
{
	uint64_t one = 1;
	if (write(r->stop, &one, sizeof(one)) == sizeof(one))
		pthread_join(r->thread, NULL);
	close(r->stop);
	close(r->epfd);
}

/* Runs one block: samples batches of `batch` operations, into out[]
 * (cycles per batch). The loop below is all the "VMM" there is. */
static int floor_run(struct floor_vm *f, const unsigned char *code, uint64_t r9, unsigned samples, unsigned batch,
		     uint64_t *out)
{
	struct kvm_regs regs = { .rip = CODE + (uint64_t)(code - floor_code_start), .rflags = 0x2,
				 .r9 = r9, .r12 = samples, .r13 = batch, .r14 = SAMPLES_AT, .rsp = RAM_SIZE - 64 };
	if (ioctl(f->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	for (;;) {
		if (ioctl(f->vcpu, KVM_RUN, 0) < 0 && errno != EINTR)
			return fail("KVM_RUN");
		struct kvm_run *run = f->run;
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == DONE_PORT)
			break;
		if (run->exit_reason == KVM_EXIT_IO || run->exit_reason == KVM_EXIT_MMIO)
			continue; /* nothing to emulate: re-enter at once */
		struct kvm_regs now;
		ioctl(f->vcpu, KVM_GET_REGS, &now);
		fprintf(stderr, "floor: unexpected exit %u at rip 0x%llx\n", run->exit_reason, (unsigned long long)now.rip);
		return -1;
	}
	memcpy(out, f->ram + SAMPLES_AT, samples * sizeof(*out));
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static uint64_t median(const uint64_t *v, unsigned n, uint64_t *scratch)
{
	memcpy(scratch, v, n * sizeof(*v));
	qsort(scratch, n, sizeof(*v), cmp_u64);
	return scratch[n / 2];
}

static void print_ns(const char *label, uint64_t cycles, unsigned batch, unsigned khz)
{
	printf(" %s=%.1f", label, (double)cycles * 1e6 / khz / batch);
}

/* One kind: samples minus the empty batch's median, reported as the guest does. */
static int floor_kind(struct floor_vm *f, const struct kind *k, unsigned samples, unsigned batch, bool raw)
{
	static uint64_t v[MAX_SAMPLES], sorted[MAX_SAMPLES];
	static const struct { const char *label; unsigned pct; } points[] = {
		{ "p10", 10 }, { "p90", 90 }, { "min", 0 }, { "p1", 1 }, { "p99", 99 }, { "max", 100 }
	};
	int fd = -1;

	if (floor_run(f, floor_tsc, 0, samples, batch, v))
		return -1;
	uint64_t over = median(v, samples, sorted);
	if (k->fd != FD_NONE) {
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0 || ioeventfd(f, k, fd, true) < 0)
			return fail("KVM_IOEVENTFD");
	}
	struct reader reader;
	if (k->woken && reader_start(&reader, fd)) {
		ioeventfd(f, k, fd, false);
		close(fd);
		return -1;
	}
	int rc = floor_run(f, k->code, k->r9, samples, batch, v);
	if (k->woken)
		reader_stop(&reader);
	if (fd >= 0) {
		ioeventfd(f, k, fd, false);
		close(fd);
	}
	if (rc)
		return -1;
	for (unsigned i = 0; i < samples; i++)
		v[i] = v[i] > over ? v[i] - over : 0;
	memcpy(sorted, v, samples * sizeof(*v));
	qsort(sorted, samples, sizeof(*v), cmp_u64);
	printf("bench %s iters=%u cycles=%llu", k->name, samples * batch, (unsigned long long)(sorted[samples / 2] / batch));
	print_ns("ns", sorted[samples / 2], batch, f->tsc_khz);
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++) {
		char label[16];
		snprintf(label, sizeof(label), "%s_ns", points[i].label);
		print_ns(label, sorted[(samples - 1) * points[i].pct / 100], batch, f->tsc_khz);
	}
	printf(" batch=%u samples=%u\n", batch, samples);
	for (unsigned from = 0; raw && from < samples; from += 16) {
		printf("bench-raw %s batch=%u from=%u ", k->name, batch, from);
		for (unsigned i = from; i < samples && i < from + 16; i++)
			printf(i == from ? "%llu" : ",%llu", (unsigned long long)v[i]);
		printf("\n");
	}
	return 0;
}

static void usage(FILE *to)
{
	fprintf(to, "usage: floor [--samples N] [--batch N] [--raw] [KIND,...|all]\n"
		    "       floor --list (the kinds, one a line) | --help | --version\n"
		    "Times each exit kind the guest benchmarks in a bare KVM_RUN loop (64-bit, CPL 3, no device\n"
		    "model), in the guest's bench line format. --samples 3-%u (default 31), --batch 1-100000\n"
		    "(default 512), --raw: every sample too. Kinds:",
		MAX_SAMPLES);
	for (size_t i = 0; i < NKINDS; i++)
		fprintf(to, " '%s'", kinds[i].name);
	fprintf(to, "\nExit status: 0, 1 if KVM or a kind failed, 2 for a bad command line.\n");
}

static bool parse_num(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	unsigned samples = 31, batch = 512;
	bool raw = false;
	const char *list = "all";

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("exitlab floor %s\n", VMM_VERSION);
			return 0;
		} else if (!strcmp(argv[i], "--list")) {
			for (size_t k = 0; k < NKINDS; k++)
				printf("%s\n", kinds[k].name);
			return 0;
		} else if (!strcmp(argv[i], "--raw")) {
			raw = true;
		} else if (!strcmp(argv[i], "--samples") || !strcmp(argv[i], "--batch")) {
			bool is_samples = argv[i][2] == 's';
			if (i + 1 == argc || !parse_num(argv[i + 1], is_samples ? 3 : 1, is_samples ? MAX_SAMPLES : 100000,
							is_samples ? &samples : &batch)) {
				fprintf(stderr, "floor: %s wants a number from %u to %u (see --help)\n", argv[i],
					is_samples ? 3 : 1, is_samples ? MAX_SAMPLES : 100000);
				return 2;
			}
			i++;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "floor: unknown option '%s' (see --help)\n", argv[i]);
			return 2;
		} else {
			list = argv[i];
		}
	}
	/* Check every name before running any. */
	bool want[NKINDS] = { false };
	bool all = !strcmp(list, "all");
	for (const char *p = list; !all && *p;) {
		size_t n = strcspn(p, ",");
		size_t k = 0;
		while (k < NKINDS && (strlen(kinds[k].name) != n || strncmp(kinds[k].name, p, n)))
			k++;
		if (k == NKINDS) {
			fprintf(stderr, "floor: unknown kind '%.*s' (see --help)\n", (int)n, p);
			return 2;
		}
		want[k] = true;
		p += n + (p[n] == ',');
	}

	struct floor_vm f;
	if (floor_open(&f))
		return 1;
	printf("bench: %u samples of %u operations per test, TSC %u kHz, floor: bare KVM_RUN loop, 64-bit CPL 3\n",
	       samples, batch, f.tsc_khz);
	int rc = 0;
	for (size_t k = 0; k < NKINDS; k++)
		if ((all || want[k]) && floor_kind(&f, &kinds[k], samples, batch, raw)) {
			printf("bench %s skipped: the floor could not run it (see stderr)\n", kinds[k].name);
			rc = 1;
		}
	return rc;
}
