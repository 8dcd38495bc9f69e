/*
 * bench.c - time one kind of exit at a time.
 *
 * Each test is an operation that causes (or, for the baseline, does not
 * cause) one VM exit, run in a tight loop of BATCH operations between two
 * serialized TSC reads. A test takes `samples` such batches after a warm-up
 * batch. The timing itself is not free (under a software KVM, RDTSC and
 * LFENCE may trap too), so the median cost of an empty batch is measured
 * once and subtracted from every batch. The report is the median
 * per-operation cost with the 10th and 90th percentiles, in cycles and
 * nanoseconds:
 *
 *   bench NAME iters=N cycles=C ns=X.Y p10_ns=X.Y p90_ns=X.Y
 *
 * scripts/bench reads exactly these lines from both VMMs.
 */
#include "bench.h"

#include "apic.h"
#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "pci.h"
#include "pci_cfg.h"
#include "pci_regs.h"
#include "testdev.h"
#include "trap.h"
#include "tsc.h"
#include "blk.h"

#define BATCH 512 /* operations per sample, unless a test says fewer */
#define MAX_SAMPLES 255

struct bench_test {
	const char *name;
	const char *what;
	void (*run)(unsigned n); /* performs n operations */
	/* Finds and readies what the test touches; NULL if nothing to do, else
	 * returns NULL when ready or a reason to skip the test. */
	const char *(*prepare)(void);
	unsigned batch; /* operations per sample; 0: BATCH */
};

static unsigned samples = 31;
/* Scratch for one test's samples; fully written before it is read, so it
 * lives outside BSS (nothing to clear at boot). */
static uint64_t samples_buf[MAX_SAMPLES] NOINIT;
static uint64_t overhead; /* median cycles of an empty batch */

static void run_tsc(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		barrier();
}

static void run_cpuid(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)cpuid(0, 0);
}

static uint64_t ring0_nop(uint64_t arg) { return arg; }

/* Not an exit on hardware virtualization: INT3 to the guest's own ring 0
 * and IRETQ back, what every HLT and MSR access of the guest pays on top. */
static void run_ring0(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)ring0_call(ring0_nop, i);
}

/* The UART scratch register: a userspace-emulated port with no side
 * effect, in the exitlab VMM and in QEMU alike. */
static void run_pio_write(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		outb(EXITLAB_PORT_COM1_SCR, (uint8_t)i);
}

static void run_pio_read(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)inb(EXITLAB_PORT_COM1_SCR);
}

/* Exits KVM finishes in the kernel, with no VMM userspace: a port of the
 * 8259 PIC and a register of the local APIC, both emulated in the kernel
 * when the VMM asks for an in-kernel irqchip (KVM_CREATE_IRQCHIP; QEMU's
 * default with KVM). The PIC's interrupt mask (port 0x21) reads back what
 * apic_init() wrote; the APIC's version register (0x30) is read-only. */
#define PIC_MASTER_IMR 0x21
#define APIC_VERSION 0x30

static void run_pio_kernel(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)inb(PIC_MASTER_IMR);
}

/* Is there an 8259 to time? Its mask must keep a value written to it (an
 * unclaimed port reads all ones); apic_init() has masked every line, and
 * that is what the test reads. */
static const char *prepare_pio_kernel(void)
{
	if (apic_init())
		return "no local APIC (CPUID.1:EDX.APIC clear)";
	outb(PIC_MASTER_IMR, 0xfb);
	uint8_t got = inb(PIC_MASTER_IMR);
	outb(PIC_MASTER_IMR, 0xff);
	return got == 0xfb ? NULL : "no 8259 PIC answers at port 0x21 (no in-kernel irqchip: the exitlab VMM makes one for virtio devices)";
}

/* An xAPIC's version register reads 0x1X in its low byte (Intel SDM Vol. 3
 * §11.4.8); an unclaimed address does not. */
static const char *prepare_mmio_kernel(void)
{
	if (apic_init())
		return "no local APIC (CPUID.1:EDX.APIC clear)";
	uint32_t v = apic_read(APIC_VERSION) & 0xff;
	return v >= 0x10 && v <= 0x1f ? NULL : "the local APIC does not answer (no in-kernel irqchip: the exitlab VMM makes one for virtio devices)";
}

static void run_mmio_kernel(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)apic_read(APIC_VERSION);
}

/* Mechanism #1: address to 0xCF8, then a dword from 0xCFC (two exits). */
static void run_cfg_cf8(unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		(void)pci_cf8_read32(PCI_BDF(0, 0, 0), PCI_VENDOR_ID); /* 00:00.0's vendor and device ID */
	}
}

static uintptr_t ecam_host_bridge;

static const char *prepare_cfg_ecam(void)
{
	pci_bus_ready(); /* the walk finds ECAM on the way */
	ecam_host_bridge = pci_ecam_address(0, 0);
	return ecam_host_bridge ? NULL : "no ECAM (no ACPI MCFG below 4 GiB)";
}

/* ECAM: one MMIO load (one exit). */
static void run_cfg_ecam(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		(void)mmio_read32(ecam_host_bridge);
}

/* pci-testdev: test 0 of each BAR ends in the VMM, 1 and 2 in ioeventfds. */
static const char *prep_mmio0(void) { return testdev_bench_prepare(false, 0); }
static const char *prep_mmio1(void) { return testdev_bench_prepare(false, 1); }
static const char *prep_mmio2(void) { return testdev_bench_prepare(false, 2); }
static const char *prep_io0(void) { return testdev_bench_prepare(true, 0); }
static const char *prep_io1(void) { return testdev_bench_prepare(true, 1); }
static const char *prep_io2(void) { return testdev_bench_prepare(true, 2); }

static const struct bench_test tests[] = {
	{ "tsc", "no exit: the cost of the timing loop itself", run_tsc, NULL, 0 },
	{ "cpuid", "CPUID leaf 0, always intercepted", run_cpuid, NULL, 0 },
	{ "ring0", "ring0_call: INT3 to the guest's CPL 0 and IRETQ back (no VMM involved)", run_ring0, NULL, 0 },
	{ "pio_write", "OUT to COM1 scratch, handled in VMM userspace", run_pio_write, NULL, 0 },
	{ "pio_read", "IN from COM1 scratch, handled in VMM userspace", run_pio_read, NULL, 0 },
	{ "pio_kernel", "IN from the PIC's mask register (0x21), handled in KVM's in-kernel PIC", run_pio_kernel,
	  prepare_pio_kernel, 0 },
	{ "mmio_kernel", "load of the local APIC's version register, handled in KVM's in-kernel APIC",
	  run_mmio_kernel, prepare_mmio_kernel, 0 },
	{ "cfg_cf8", "config dword read of 00:00.0 through 0xCF8/0xCFC", run_cfg_cf8, NULL, 0 },
	{ "cfg_ecam", "config dword read of 00:00.0 through ECAM (MMIO)", run_cfg_ecam, prepare_cfg_ecam, 0 },
	{ "tdev_mmio", "pci-testdev MMIO write, no eventfd (VMM userspace)", testdev_bench_run, prep_mmio0, 0 },
	{ "tdev_mmio_wild", "pci-testdev MMIO write, wildcard ioeventfd", testdev_bench_run, prep_mmio1, 0 },
	{ "tdev_mmio_match", "pci-testdev MMIO write, datamatch ioeventfd", testdev_bench_run, prep_mmio2, 0 },
	{ "tdev_io", "pci-testdev port write, no eventfd (VMM userspace)", testdev_bench_run, prep_io0, 0 },
	{ "tdev_io_wild", "pci-testdev port write, wildcard ioeventfd", testdev_bench_run, prep_io1, 0 },
	{ "tdev_io_match", "pci-testdev port write, datamatch ioeventfd", testdev_bench_run, prep_io2, 0 },
	{ "notify", "virtio-blk queue notify write (ioeventfd unless --no-ioeventfd)", blk_bench_notify,
	  blk_bench_prepare_notify, 0 },
	{ "blk_read_poll", "virtio-blk 4 KiB read, notify to used ring, polled", blk_bench_read,
	  blk_bench_prepare_poll, 16 },
	{ "blk_read_msix", "virtio-blk 4 KiB read, notify to MSI-X interrupt", blk_bench_read,
	  blk_bench_prepare_msix, 16 },
};

static void sort_u64(uint64_t *v, unsigned n)
{
	for (unsigned i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned j = i;
		for (; j && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static void print_ns(const char *label, uint64_t batch_cycles, unsigned batch)
{
	uint64_t ns10 = tsc_cycles_to_ns10(batch_cycles) / batch;
	printf(" %s=%lu.%lu", label, ns10 / 10, ns10 % 10);
}

/* Median-sorted batch times of `run`, minus `over` (the timing overhead). */
static void bench_sample(void (*run)(unsigned), unsigned batch, uint64_t over, uint64_t *cycles)
{
	run(batch); /* warm-up: caches, TLB, the VMM's first-touch paths */
	for (unsigned s = 0; s < samples; s++) {
		uint64_t t0 = rdtsc_serialized();
		run(batch);
		uint64_t dt = rdtsc_serialized() - t0;
		cycles[s] = dt > over ? dt - over : 0;
	}
	sort_u64(cycles, samples);
}

/* The median cost of timing an empty batch of this size. */
static uint64_t bench_overhead(unsigned batch)
{
	bench_sample(run_tsc, batch, 0, samples_buf);
	return samples_buf[samples / 2];
}

static void bench_one(const struct bench_test *t)
{
	const char *why = t->prepare ? t->prepare() : NULL;
	if (why) {
		printf("bench %s skipped: %s\n", t->name, why);
		return;
	}
	unsigned batch = t->batch ? t->batch : BATCH;
	uint64_t *cycles = samples_buf;

	bench_sample(t->run, batch, batch == BATCH ? overhead : bench_overhead(batch), cycles);
	printf("bench %s iters=%u cycles=%lu", t->name, samples * batch, cycles[samples / 2] / batch);
	print_ns("ns", cycles[samples / 2], batch);
	print_ns("p10_ns", cycles[samples / 10], batch);
	print_ns("p90_ns", cycles[samples * 9 / 10], batch);
	printf("\n");
}

int bench_action(const char *list, size_t len, bool dry_run)
{
	static const char *const whole[] = { "help", "all" }; /* values that are not a list */
	int w = word_find(list, len, WORDS(whole));
	bool all = w == 1;

	if (w == 0) {
		for (size_t i = 0; !dry_run && i < ARRAY_SIZE(tests); i++)
			printf("bench test %-10s %s\n", tests[i].name, tests[i].what);
		return EXITLAB_EXIT_OK;
	}

	if (!dry_run) {
		overhead = bench_overhead(BATCH);
		printf("bench: %u samples of %u operations per test, TSC %lu kHz, timing overhead %lu cycles/batch (subtracted)\n",
		       samples, BATCH, tsc_khz(), overhead);
	}
	for (size_t i = 0; all && i < ARRAY_SIZE(tests); i++)
		if (!dry_run)
			bench_one(&tests[i]);
	for (size_t start = 0; !all && start < len;) {
		size_t end = start;
		while (end < len && list[end] != ',')
			end++;
		int k = word_find(list + start, end - start, WORDS_OF(tests, name));
		if (k < 0) {
			printf("error: bench: unknown test '%.*s'; known:", (int)(end - start), list + start);
			word_list_print(WORDS_OF(tests, name));
			printf(" all\n");
			return EXITLAB_EXIT_USAGE;
		}
		if (!dry_run)
			bench_one(&tests[k]);
		start = end + 1;
	}
	return EXITLAB_EXIT_OK;
}

int bench_samples_action(const char *val, size_t len, bool dry_run)
{
	uint64_t n;

	if (!parse_u64(val, len, &n) || n < 3 || n > MAX_SAMPLES) {
		printf("error: bench.samples: '%.*s' is not a number from 3 to %u\n", (int)len, val, MAX_SAMPLES);
		return EXITLAB_EXIT_USAGE;
	}
	if (!dry_run)
		samples = (unsigned)n;
	return EXITLAB_EXIT_OK;
}
