/*
 * main.c - build/vmm: boot an exitlab (PVH) guest image under KVM.
 *
 *   build/vmm [--mem SIZE] [--append CMDLINE] [--stats] [--trace]
 *             [--timeout SECONDS] IMAGE
 *
 * main() parses the options, then boots by an explicit list: reserve guest
 * RAM and load the image into it (so a bad image is refused before KVM is
 * touched), create the VM, write the boot information, register the devices,
 * set the vCPU at the PVH entry, run. The exit code is the guest's status
 * (0-123) or one of the runner's own codes (exitlab_abi.h): 124 timeout,
 * 125 the VMM failed (options, image, KVM), 126 the guest died.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acpi_tables.h"
#include "boot.h"
#include "devices.h"
#include "elf.h"
#include "exitlab_abi.h"
#include "io.h"
#include "iothread.h"
#include "irq.h"
#include "kvm.h"
#include "kvm_stats.h"
#include "msr.h"
#include "layout.h"
#include "passthrough.h"
#include "pci_bdf.h"
#include "pci_testdev.h"
#include "pt_host.h"
#include "pcibus.h"
#include "rawdev.h"
#include "irqbench.h"
#include "romslot.h"
#include "sandbox.h"
#include "trace.h"
#include "vmm.h"
#include "virtio_blk.h"
#include "vpci_kvm.h"

#define MAX_DISKS 8
#define MAX_RAW 8
#define MAX_PASSTHROUGH 4
#define MAX_BRIDGES PCIBUS_MAX_BRIDGES
#define SYSFS_ROOT_MAX 4000 /* room for "/DDDD:BB:DD.F/resourceN" after it */

struct options {
	uint64_t mem;
	const char *append;
	const char *image;
	unsigned timeout_s;
	bool stats;
	unsigned trace; /* trace classes (trace.h), 0: off */
	const char *disks[MAX_DISKS];
	unsigned ndisks;
	bool rng, no_ioeventfd, no_event_idx, pci_testdev;
	unsigned iothread_poll_us;
	const char *dump_pci;
	const char *passthrough[MAX_PASSTHROUGH];
	unsigned npassthrough;
	const char *sysfs_root;
	bool force, unsafe_dma, no_sandbox;
	const char *raw[MAX_RAW];
	const char *raw_bar0[MAX_RAW]; /* --pci-raw FILE,bar0=REGS: REGS, or NULL */
	unsigned nraw;
	unsigned nbridges;
	/* Where each device sits (a BDF), as pcibus_reserve() placed it. */
	unsigned disk_at[MAX_DISKS], rng_at, testdev_at, passthrough_at[MAX_PASSTHROUGH], raw_at[MAX_RAW],
		bridge_at[MAX_BRIDGES];
	const char *test_hook; /* hidden: --test-hook NAME, for the tests */
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vmm [options] IMAGE\n"
		"\n"
		"Boots IMAGE, an x86-64 ELF with a PVH entry note (e.g. build/guest.elf),\n"
		"in a KVM virtual machine with one vCPU.\n"
		"\n"
		"  -m, --mem SIZE        guest RAM in MiB, or with a K, M or G suffix (default\n"
		"                        %lluM, %lluM to %lluM)\n"
		"  -a, --append CMDLINE  the guest's command line (exitlab guest: try 'help')\n"
		"  -d, --disk FILE[,ro][,queues=N][,serial=S]  a virtio-blk disk backed by\n"
		"                        FILE (repeatable; ,ro: read-only; ,queues=N: 1-64\n"
		"                        request queues (VIRTIO_BLK_F_MQ); ,serial=S: what\n"
		"                        GET_ID answers, up to 20 bytes; ,, for a comma in\n"
		"                        FILE); FILE must exist (a file or block device), its\n"
		"                        size is the capacity\n"
		"  -r, --rng             a virtio-rng device fed by getrandom(2)\n"
		"      --pci-testdev     QEMU's pci-testdev (1b36:0005) after the virtio devices:\n"
		"                        BAR0 4 KiB MMIO, BAR1 256 ports, tests 0-2 on each\n"
		"                        (no-eventfd, wildcard-eventfd, datamatch-eventfd)\n"
		"      --no-ioeventfd    virtio notifies and pci-testdev eventfd tests exit to\n"
		"                        the VMM (handled in the vCPU thread) instead of\n"
		"                        signalling a KVM ioeventfd\n"
		"      --no-event-idx    virtio devices do not offer VIRTIO_F_EVENT_IDX: the\n"
		"                        flag form of notify and interrupt suppression\n"
		"      --iothread-poll MICROSECONDS  after a request, the I/O thread polls\n"
		"                        the queue that long with notifies off (0-1000000;\n"
		"                        default 0: never)\n"
		"      --passthrough DDDD:BB:DD.F  give the guest this host PCI device\n"
		"                        (repeatable): config space mediated, memory BARs\n"
		"                        mapped into the guest (no exits) but for the MSI-X\n"
		"                        pages; unbind its host driver first; needs root\n"
		"      --sysfs-root DIR  a directory of DDDD:BB:DD.F device directories\n"
		"                        (default /sys/bus/pci/devices; any name, relative or\n"
		"                        not; scripts/mkfixture makes fixture devices)\n"
		"      --force           pass through a device still bound to a host driver\n"
		"      --unsafe-dma      let the passed-through device master the bus: with\n"
		"                        no IOMMU its DMA reaches all host memory\n"
		"      --pci-raw FILE[,bar0=REGS]  a PCI function whose config space is\n"
		"                        FILE's 256 or 4096 bytes (repeatable), after the\n"
		"                        devices above: read-only, no BARs behind it; replays\n"
		"                        a recorded or crafted config space to test a guest's\n"
		"                        enumeration. bar0=REGS: BAR0 (the type FILE gives it)\n"
		"                        is a private, writable copy of REGS (its size a power\n"
		"                        of two, 16 bytes to 16 MiB), sized and placed by the\n"
		"                        guest, COMMAND's enable bits writable: a device a\n"
		"                        driver can take to queue setup\n"
		"      --pci-bridge      a PCI-to-PCI bridge (repeatable): the n-th has bus n\n"
		"                        behind it, numbered so until the guest renumbers it\n"
		"      --dump-pci FILE   when the VM ends, write every PCI function's config\n"
		"                        space as lspci -xxxx does (read it: lspci -F FILE -vvv)\n"
		"\n"
		"  Each PCI device (--disk, --rng, --pci-testdev, --passthrough, --pci-raw,\n"
		"  --pci-bridge) goes at BB:DD.F when given @BB:DD.F after the option or its\n"
		"  value (--rng@00:05.0, --disk a.img@01:00.0), or ,addr=BB:DD.F at the end of\n"
		"  the value; bus BB is 00 or one behind a bridge. Without it: function 0 of\n"
		"  the next free slot of bus 00, in the order of this list (bridges last).\n"
		"  A slot with functions but no function 0 is refused; function 0 of a slot\n"
		"  with more gets the multifunction bit (but a --pci-raw keeps its file's).\n"
		"  -s, --stats           when the VM ends, print exits by reason and device\n"
		"  -t, --trace[=CLASSES] log events as they happen, stamped with CLOCK_MONOTONIC\n"
		"                        and the thread (stderr): all, or a comma-separated\n"
		"                        list of exit, io, cfg, virtio, iothread, irq, pt, mark\n"
		"  -T, --timeout SECONDS stop the VMM after SECONDS, setup included (exit code 124)\n"
		"      --no-sandbox      run the guest without the seccomp allow-list (for\n"
		"                        debugging); --show-sandbox prints the list\n"
		"  -h, --help            this text\n"
		"  -V, --version         the VMM's version\n"
		"\n"
		"Exit code: the guest's status (0-123, written to port 0xf4), or\n"
		"124 timeout, 125 the VMM failed (options, image, KVM), 126 the guest died\n"
		"(triple fault, halt, unhandled exit).\n",
		LAYOUT_RAM_DEFAULT >> 20, LAYOUT_RAM_MIN >> 20, LAYOUT_RAM_MAX >> 20);
}

#ifdef __SANITIZE_ADDRESS__
/* build/vmm-asan: LeakSanitizer's exit-time scan starts a tracer thread,
 * which the seccomp sandbox (rightly) forbids; the fuzzers, which do not
 * link this file, keep leak detection. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

/* "vmm: " + the message on stderr, then the end (EXITLAB_RC_ERROR); a
 * mistake on the command line also says where to read more. */
__attribute__((noreturn, format(printf, 2, 0))) static void fail(const char *hint, const char *fmt, va_list ap)
{
	fprintf(stderr, "vmm: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n%s", hint);
	exit(EXITLAB_RC_ERROR);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail("", fmt, ap);
}

__attribute__((noreturn, format(printf, 1, 2))) static void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fail("try 'vmm --help'\n", fmt, ap);
}

/* Decimal digits, nothing else, as a number; false if none or too big.
 * *end is set after the digits. Every number on the command line comes
 * through here, so none is cast before its range is known. */
static bool parse_digits(const char *s, uint64_t *v, const char **end)
{
	*v = 0;
	*end = s;
	if (**end < '0' || **end > '9')
		return false;
	for (; **end >= '0' && **end <= '9'; (*end)++) {
		unsigned d = (unsigned)(**end - '0');
		if (*v > (UINT64_MAX - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	return true;
}

/* --mem: MiB, or with K, M or G (optionally KiB/KB...), as QEMU reads it. */
static uint64_t parse_size(const char *s)
{
	const char *end;
	uint64_t v;
	unsigned shift = 20; /* a bare number is MiB */

	if (!parse_digits(s, &v, &end))
		usage_error("--mem '%s': not a size (try 64M or 1G)", s);
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (shift != 20 || end[-1] == 'm' || end[-1] == 'M') {
		if (end[0] == 'i' && end[1] == 'B') /* 64MiB */
			end += 2;
		else if (*end == 'B' || *end == 'b') /* 64MB */
			end++;
	}
	if (*end || v > (UINT64_MAX >> shift))
		usage_error("--mem '%s': not a size (try 64M or 1G)", s);
	return v << shift;
}

/* A whole number in [min, max], or a usage error naming the option. */
static uint64_t parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, const char *what)
{
	const char *end;
	uint64_t v;

	if (!parse_digits(s, &v, &end) || *end || v < min || v > max)
		usage_error("%s '%s': give %s from %llu to %llu", opt, s, what, (unsigned long long)min,
			    (unsigned long long)max);
	return v;
}

/* A path option: refused by name when too long to keep whole. */
static const char *parse_path(const char *opt, const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0)
		usage_error("%s: the file name is empty", opt);
	if (n > max)
		usage_error("%s: the file name is %zu bytes; at most %zu are allowed", opt, n, max);
	return s;
}

/* A PCI address as --disk ...@BB:DD.F and the rest take it ([0000:]BB:DD.F,
 * common/pci_bdf.h), whole, in domain 0: its BDF, or a usage error. */
static unsigned parse_bdf(const char *opt, const char *s)
{
	uint16_t domain, bdf;
	size_t len = strlen(s);

	if (!len || pci_bdf_parse(s, len, &domain, &bdf) != len || domain)
		usage_error("%s: '%s' is not a PCI address: give BB:DD.F (hex; device 00-1f, function 0-7)", opt, s);
	return bdf;
}

/* Takes the place off the end of an option's value: "@BB:DD.F" (what
 * follows the last '@' has a ':' and no '/') or ",addr=BB:DD.F"; with
 * commas_escape (--disk), ",addr=" only after an odd run of commas, as
 * ",," is a comma in FILE. Returns the BDF and leaves *arg without it (a
 * copy), or PCIBUS_NEXT if there is none. */
static unsigned parse_place(const char *opt, const char **arg, bool commas_escape)
{
	const char *s = *arg, *at = strrchr(s, '@'), *addr = NULL, *cut;
	char where[96];

	for (const char *p = strstr(s, ",addr="); p; p = strstr(p + 1, ",addr="))
		addr = p;
	if (addr && commas_escape) {
		size_t run = 0;
		for (const char *p = addr; p >= s && *p == ','; p--)
			run++;
		if (run % 2 == 0)
			addr = NULL;
	}
	if (at && (!strchr(at, ':') || strchr(at, '/')))
		at = NULL;
	if (!addr && !at)
		return PCIBUS_NEXT;
	cut = addr && (!at || addr > at) ? addr : at;
	snprintf(where, sizeof(where), "%s %.*s", opt, (int)(cut - s), s);
	unsigned bdf = parse_bdf(where, cut == addr ? cut + 6 : cut + 1);
	char *rest = strndup(s, (size_t)(cut - s));
	if (!rest)
		die("out of memory");
	*arg = rest;
	return bdf;
}

/* --pci-raw's value, before anything is cut from it: a place goes last
 * (FILE,bar0=REGS@BB:DD.F or ...,addr=BB:DD.F); one before bar0= would be
 * taken into a file's name or the BDF. */
static void raw_order_check(const char *v)
{
	const char *b = strstr(v, ",bar0="), *addr = strstr(v, ",addr="), *at = b ? memchr(v, '@', (size_t)(b - v)) : NULL;

	if (b && ((addr && addr < b) || (at && memchr(at, ':', (size_t)(b - at)))))
		usage_error("--pci-raw %s: put the place after the register file: FILE,bar0=REGS@BB:DD.F or "
			    "FILE,bar0=REGS,addr=BB:DD.F", v);
}

/* --pci-raw FILE,bar0=REGS (its place already cut off): REGS, with FILE
 * left in *arg; NULL if there is no ",bar0=". */
static const char *parse_raw_bar0(const char **arg)
{
	const char *s = *arg, *b = strstr(s, ",bar0=");

	if (!b)
		return NULL;
	if (strstr(b + 1, ",bar0="))
		usage_error("--pci-raw %s: bar0= given twice; give one register file (FILE,bar0=REGS)", s);
	if (!b[6])
		usage_error("--pci-raw %s: bar0= wants a register file (FILE,bar0=REGS)", s);
	char *file = strndup(s, (size_t)(b - s));
	if (!file)
		die("out of memory");
	*arg = file;
	return parse_path("--pci-raw bar0=", b + 6, PATH_MAX - 1);
}

/* The value of --rng, --pci-testdev or --pci-bridge: none, "@BB:DD.F"
 * (main() turns --rng@BB:DD.F into --rng=@BB:DD.F) or "addr=BB:DD.F". */
static unsigned parse_flag_place(const char *opt, const char *v)
{
	if (!v)
		return PCIBUS_NEXT;
	if (v[0] == '@')
		return parse_bdf(opt, v + 1);
	if (!strncmp(v, "addr=", 5))
		return parse_bdf(opt, v + 5);
	usage_error("%s: unknown value '%s' (give %s@BB:DD.F or %s=addr=BB:DD.F)", opt, v, opt, opt);
}

/* Where every PCI device goes, decided by the bus (pcibus_reserve())
 * before KVM is opened: first the ones given a place, then the others in
 * the order of old (disks, rng, pci-testdev, passthrough, pci-raw; bridges
 * last, so that adding one moves no device), each on the next free slot
 * of bus 0. A refusal is an option error. */
static void devices_place(struct options *o)
{
	struct { unsigned *at; char *who; unsigned bridge; } all[MAX_DISKS + 2 + MAX_PASSTHROUGH + MAX_RAW + MAX_BRIDGES];
	unsigned n = 0;
	char err[PATH_MAX + 256];

	for (unsigned i = 0; i < o->ndisks; i++)
		all[n++] = (typeof(all[0])){ &o->disk_at[i], NULL, 0 };
	if (o->rng)
		all[n++] = (typeof(all[0])){ &o->rng_at, NULL, 0 };
	if (o->pci_testdev)
		all[n++] = (typeof(all[0])){ &o->testdev_at, NULL, 0 };
	for (unsigned i = 0; i < o->npassthrough; i++)
		all[n++] = (typeof(all[0])){ &o->passthrough_at[i], NULL, 0 };
	for (unsigned i = 0; i < o->nraw; i++)
		all[n++] = (typeof(all[0])){ &o->raw_at[i], NULL, 0 };
	for (unsigned i = 0; i < o->nbridges; i++)
		all[n++] = (typeof(all[0])){ &o->bridge_at[i], NULL, i + 1 };
	/* Names for the messages ("... is taken by --disk a.img"), kept by the bus. */
	unsigned k = 0;
	for (unsigned i = 0; i < o->ndisks; i++, k++)
		if (asprintf(&all[k].who, "--disk %s", o->disks[i]) < 0)
			all[k].who = NULL;
	if (o->rng && asprintf(&all[k++].who, "--rng") < 0)
		all[k - 1].who = NULL;
	if (o->pci_testdev && asprintf(&all[k++].who, "--pci-testdev") < 0)
		all[k - 1].who = NULL;
	for (unsigned i = 0; i < o->npassthrough; i++, k++)
		if (asprintf(&all[k].who, "--passthrough %s", o->passthrough[i]) < 0)
			all[k].who = NULL;
	for (unsigned i = 0; i < o->nraw; i++, k++)
		if (asprintf(&all[k].who, "--pci-raw %s", o->raw[i]) < 0)
			all[k].who = NULL;
	for (unsigned i = 0; i < o->nbridges; i++, k++)
		if (asprintf(&all[k].who, "--pci-bridge (bus %02x behind it)", i + 1) < 0)
			all[k].who = NULL;
	for (unsigned pass = 0; pass < 2; pass++)
		for (unsigned i = 0; i < n; i++) {
			if (!all[i].who)
				die("out of memory");
			if ((*all[i].at == PCIBUS_NEXT) != (pass == 1))
				continue;
			int at = all[i].bridge ? pcibus_reserve_bridge(all[i].bridge, *all[i].at, all[i].who, err, sizeof(err))
					       : pcibus_reserve(*all[i].at, all[i].who, err, sizeof(err));
			if (at < 0)
				usage_error("%s", err);
			*all[i].at = (unsigned)at;
		}
	if (pcibus_check(err, sizeof(err)))
		usage_error("%s", err);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, 'm' },
		{ "append", required_argument, NULL, 'a' },
		{ "stats", no_argument, NULL, 's' },
		{ "trace", optional_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "disk", required_argument, NULL, 'd' },
		{ "rng", optional_argument, NULL, 'r' },
		{ "no-ioeventfd", no_argument, NULL, 'N' },
		{ "no-event-idx", no_argument, NULL, 'E' },
		{ "iothread-poll", required_argument, NULL, 'W' },
		{ "dump-pci", required_argument, NULL, 'P' },
		{ "pci-testdev", optional_argument, NULL, 'X' },
		{ "pci-bridge", optional_argument, NULL, 'B' },
		{ "passthrough", required_argument, NULL, 'p' },
		{ "sysfs-root", required_argument, NULL, 'S' },
		{ "force", no_argument, NULL, 'F' },
		{ "unsafe-dma", no_argument, NULL, 'U' },
		{ "pci-raw", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "no-sandbox", no_argument, NULL, 'n' },
		{ "show-sandbox", no_argument, NULL, 'L' },
		{ "test-hook", required_argument, NULL, 'H' }, /* hidden: for the tests */
		{ 0 },
	};
	int c;

	*o = (struct options){ .mem = LAYOUT_RAM_DEFAULT, .append = "", .rng_at = PCIBUS_NEXT,
			       .testdev_at = PCIBUS_NEXT };
	/* --rng@BB:DD.F and the like: getopt reads --rng=@BB:DD.F. */
	static const char *const flags[] = { "--rng@", "--pci-testdev@", "--pci-bridge@" };
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
		for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
			size_t n = strlen(flags[f]);
			if (!strncmp(argv[i], flags[f], n) && asprintf(&argv[i], "%.*s=%s", (int)n - 1, argv[i],
								      argv[i] + n - 1) < 0)
				die("out of memory");
		}
	opterr = 0; /* our messages, in our words */
	while ((c = getopt_long(argc, argv, ":m:a:stT:d:rhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (o->ndisks == MAX_DISKS)
				usage_error("--disk: at most %d disks", MAX_DISKS);
			o->disks[o->ndisks] = optarg;
			o->disk_at[o->ndisks] = parse_place("--disk", &o->disks[o->ndisks], true);
			o->ndisks++;
			break;
		case 'r':
			o->rng = true;
			o->rng_at = parse_flag_place("--rng", optarg);
			break;
		case 'N': o->no_ioeventfd = true; break;
		case 'E': o->no_event_idx = true; break;
		case 'W':
			o->iothread_poll_us = (unsigned)parse_uint("--iothread-poll", optarg, 0, 1000000, "microseconds");
			break;
		case 'P': o->dump_pci = parse_path("--dump-pci", optarg, PATH_MAX - 1); break;
		case 'X':
			o->pci_testdev = true;
			o->testdev_at = parse_flag_place("--pci-testdev", optarg);
			break;
		case 'B': {
			char why[128];
			if (pcibus_bridge_declare(why, sizeof(why)) < 0)
				usage_error("%s", why);
			o->bridge_at[o->nbridges++] = parse_flag_place("--pci-bridge", optarg);
			break;
		}
		case 'p':
			if (o->npassthrough == MAX_PASSTHROUGH)
				usage_error("--passthrough: at most %d devices", MAX_PASSTHROUGH);
			o->passthrough[o->npassthrough] = optarg;
			o->passthrough_at[o->npassthrough] = parse_place("--passthrough", &o->passthrough[o->npassthrough],
									  false);
			o->npassthrough++;
			break;
		case 'S': o->sysfs_root = parse_path("--sysfs-root", optarg, SYSFS_ROOT_MAX); break;
		case 'F': o->force = true; break;
		case 'U': o->unsafe_dma = true; break;
		case 'R':
			if (o->nraw == MAX_RAW)
				usage_error("--pci-raw: at most %d functions", MAX_RAW);
			raw_order_check(optarg);
			o->raw[o->nraw] = optarg;
			o->raw_at[o->nraw] = parse_place("--pci-raw", &o->raw[o->nraw], false);
			o->raw_bar0[o->nraw] = parse_raw_bar0(&o->raw[o->nraw]);
			o->raw[o->nraw] = parse_path("--pci-raw", o->raw[o->nraw], PATH_MAX - 1);
			o->nraw++;
			break;
		case 'm': o->mem = parse_size(optarg); break;
		case 'a': o->append = optarg; break;
		case 's': o->stats = true; break;
		case 't': {
			char why[160];
			if (trace_parse(optarg ? optarg : "all", &o->trace, why, sizeof(why)))
				usage_error("%s", why);
			break;
		}
		case 'T':
			o->timeout_s = (unsigned)parse_uint("--timeout", optarg, 1, 86400, "whole seconds");
			break;
		case 'H': o->test_hook = optarg; break;
		case 'n': o->no_sandbox = true; break;
		case 'L': sandbox_print(stdout); exit(0);
		case 'h': usage(stdout); exit(0);
		case 'V': printf("exitlab vmm %s\n", VMM_VERSION); exit(0);
		case ':': usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				usage_error("unrecognized option '-%c'", optopt);
			usage_error("unrecognized option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		usage_error("%s", optind == argc ? "no IMAGE given" : "more than one IMAGE given");
	o->image = argv[optind];
	char err[128];
	if (boot_cmdline_check(o->append, err, sizeof(err)))
		usage_error("--append: %s", err);

	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t host = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
	if (o->mem < LAYOUT_RAM_MIN || o->mem > LAYOUT_RAM_MAX)
		usage_error("--mem %llu MiB: must be from %llu MiB to %llu MiB (above that is the device window)",
		    (unsigned long long)(o->mem >> 20), LAYOUT_RAM_MIN >> 20, LAYOUT_RAM_MAX >> 20);
	if (o->mem > host)
		usage_error("--mem %llu MiB is more than this host's %llu MiB of RAM", (unsigned long long)(o->mem >> 20),
		    (unsigned long long)(host >> 20));
	if (o->mem & 0xfff)
		usage_error("--mem must be a whole number of 4 KiB pages");
	devices_place(o);
}

/* Maps the image file read-only; dies with a message if it cannot. */
static const void *image_map(const char *path, size_t *size)
{
	/* O_NONBLOCK: a FIFO is refused below, not waited on for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		die("cannot open image '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		die("image '%s' is not a regular file", path);
	*size = (size_t)st.st_size;
	if (*size == 0) {
		close(fd);
		return "";
	}
	void *p = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die("cannot map image '%s': %s", path, strerror(errno));
	return p;
}

/* This process's peak resident set (VmHWM: per address space, so unlike
 * getrusage it does not include the parent's footprint before exec). */
static int status_fd = -1; /* /proc/self/status, opened before the sandbox */

static long peak_rss_kib(void)
{
	char buf[4096];
	ssize_t n = status_fd < 0 ? -1 : pread(status_fd, buf, sizeof(buf) - 1, 0);
	long kib = -1;

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strstr(buf, "VmHWM:");
	if (p)
		sscanf(p, "VmHWM: %ld kB", &kib);
	return kib;
}

/* The virtio devices, each a PCI function on bus 0 from slot 1 on, then
 * the pci-testdev, the passed-through devices and the --pci-raw ones. */
static struct vpci_kvm vdevs[MAX_DISKS + 1];
static unsigned nvdevs;
static struct pci_testdev testdev;
static struct pci_fn rawdevs[MAX_RAW];

static struct blk_disk disks[MAX_DISKS];
static struct pt_host pt_hosts[MAX_PASSTHROUGH]; /* --passthrough, vetted before KVM */
static FILE *dump_file; /* --dump-pci */

/* Everything the options name that lives in files (disks, --pci-raw,
 * passed-through devices, --dump-pci), opened and checked before KVM is
 * touched: a bad file is refused the same with or without /dev/kvm. */
static void files_open(const struct options *o)
{
	char err[PATH_MAX + 256];

	for (unsigned i = 0; i < o->ndisks; i++)
		if (blk_disk_open(&disks[i], o->disks[i], err, sizeof(err)))
			die("%s", err);
	for (unsigned i = 0; i < o->nraw; i++)
		if (rawdev_load(&rawdevs[i], o->raw[i], err, sizeof(err)) ||
		    (o->raw_bar0[i] && rawdev_bar0(&rawdevs[i], o->raw_bar0[i], err, sizeof(err))))
			die("%s", err);
	for (unsigned i = 0; i < o->npassthrough; i++)
		if (pt_host_open(&pt_hosts[i], o->passthrough[i], o->sysfs_root ? o->sysfs_root : PT_SYSFS_ROOT_DEFAULT,
				 o->force, err, sizeof(err)))
			die("%s", err);
	if (o->dump_pci) { /* written at the end, opened now (the sandbox opens nothing) */
		struct stat st;
		if (stat(o->dump_pci, &st) == 0 && !S_ISREG(st.st_mode))
			die("--dump-pci %s: not a regular file", o->dump_pci);
		dump_file = fopen(o->dump_pci, "we");
		if (!dump_file)
			die("--dump-pci %s: %s", o->dump_pci, strerror(errno));
	}
	if (o->stats)
		status_fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
}

static void devices_create(struct vm *vm, const struct options *o)
{
	char err[PATH_MAX + 256] = "";

	for (unsigned i = 0; i <= o->ndisks; i++) {
		bool is_rng = i == o->ndisks;
		if (is_rng && !o->rng)
			break;
		struct vpci_kvm *k = &vdevs[nvdevs];
		if (vpci_kvm_create(k, vm, is_rng ? &virtio_rng_ops : &virtio_blk_ops, is_rng ? NULL : &disks[i],
				    !o->no_ioeventfd, err, sizeof(err)))
			die("%s", err);
		vpci_tune(&k->dev, !o->no_event_idx, o->iothread_poll_us);
		if (vpci_attach(&k->dev, is_rng ? o->rng_at : o->disk_at[i], err, sizeof(err)))
			die("%s", err);
		nvdevs++;
	}
	if (o->pci_testdev && pci_testdev_create(&testdev, vm, o->testdev_at, !o->no_ioeventfd, err, sizeof(err)))
		die("%s", err);
	for (unsigned i = 0; i < o->npassthrough; i++)
		if (passthrough_add(vm, &pt_hosts[i], o->unsafe_dma, o->passthrough_at[i], err, sizeof(err)))
			die("%s", err);
	for (unsigned i = 0; i < o->nraw; i++) {
		rawdevs[i].vm = vm;
		if (pcibus_add(&rawdevs[i], o->raw_at[i], err, sizeof(err)))
			die("--pci-raw %s: %s", o->raw[i], err);
	}
}

static void devices_stats(void)
{
	for (unsigned i = 0; i < nvdevs; i++)
		vpci_stats_print(&vdevs[i].dev, stderr);
	if (testdev.pci.bdf[0])
		pci_testdev_stats_print(&testdev);
}

int main(int argc, char **argv)
{
	struct options o;
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
	struct elf_image img;
	char err[256];
	size_t size;

	/* A reader of our output that goes away must not end the VM: the
	 * console then drops what it writes (uart.c), the guest goes on. */
	signal(SIGPIPE, SIG_IGN);
	parse_options(argc, argv, &o);
	kvm_timeout_arm(o.timeout_s);                                /* --timeout: from here on */
	trace_start(o.trace);
	const void *file = image_map(o.image, &size);
	files_open(&o);                                              /* disks, --pci-raw, before KVM */
	if (o.test_hook && !strcmp(o.test_hook, "setup-hang"))       /* a setup that never ends */
		for (;;)
			pause();

	if (kvm_ram_alloc(&vm, o.mem, err, sizeof(err)))             /* guest RAM */
		die("%s", err);
	struct elf_limits lim = {
		.ram_size = o.mem,
		.hole_start = LAYOUT_HOLE_START, .hole_end = LAYOUT_HOLE_END,
		.boot_start = 0, .boot_end = LAYOUT_BOOT_END,
		.ram_is_zero = true, /* kvm_ram_alloc's anonymous mapping, untouched */
	};
	if (elf_load(file, size, vm.ram, &lim, &img, err, sizeof(err))) /* the image */
		die("%s: %s", o.image, err);
	if (size)
		munmap((void *)(uintptr_t)file, size); /* copied: its pages leave the resident set */
	if (kvm_vm_create(&vm, err, sizeof(err)))                    /* the VM, RAM as slot 0 */
		die("%s", err);
	bool virtio = o.ndisks || o.rng;
	if (virtio && irq_chip_create(&vm, err, sizeof(err)))         /* interrupts, for MSI-X */
		die("%s", err);
	if (kvm_vcpu_create(&vm, err, sizeof(err)))                  /* vCPU, CPUID, TSC rate */
		die("%s", err);
	if (pcibus_init(&vm, err, sizeof(err)))                      /* host bridge, bridges, 0xcf8, ECAM */
		die("PCI bus: %s", err);
	devices_create(&vm, &o);                                     /* virtio-blk, -rng, testdev */
	if (msr_init(&vm, err, sizeof(err)))                          /* the scratch MSR, in userspace */
		fprintf(stderr, "vmm: no userspace MSR for the bench: %s\n", err);
	if (romslot_init(&vm, vm.ram_size, err, sizeof(err)))       /* the read-only page, right above RAM */
		fprintf(stderr, "vmm: no read-only page for the bench: %s\n", err);
	bool irq_bench = virtio && !irqbench_init(&vm, err, sizeof(err)); /* needs the irqchip */
	if (virtio && !irq_bench)
		fprintf(stderr, "vmm: no irq bench: %s\n", err);
	if (virtio && irq_routes_sync(&vm, err, sizeof(err)))           /* every MSI route, in one table */
		die("%s", err);
	struct boot_params bp = {
		.cmdline = o.append,
		.tsc_khz = vm.tsc_khz,
		.console_port = EXITLAB_PORT_CONSOLE,
		.scratch_msr = msr_served() ? EXITLAB_MSR_SCRATCH : 0,
		.rom_paddr = romslot_gpa(),
		.irq_port = irq_bench ? EXITLAB_PORT_IRQ_BENCH : 0,
		.pt_count = (uint16_t)o.npassthrough,
		.pt_bdf = o.npassthrough ? (uint16_t)o.passthrough_at[0] : 0,
		.rsdp_paddr = acpi_tables_write(vm.ram, LAYOUT_ECAM, pcibus_buses() - 1), /* MCFG: the buses in use */
	};
	uint64_t start_info = boot_info_write(vm.ram, vm.ram_size, &bp, err, sizeof(err)); /* PVH info */
	if (!start_info)
		die("%s", err);
	if (uart_init(&vm, err, sizeof(err)) || abi_ports_init(&vm, err, sizeof(err))) /* devices */
		die("%s", err);
	if (kvm_vcpu_set_pvh_entry(&vm, img.entry, start_info, err, sizeof(err))) /* entry state */
		die("%s", err);
	if (o.stats)                                                /* the kernel's first count */
		kvm_stats_begin(&vm);
	if (iothread_start(err, sizeof(err)))                        /* serves the ioeventfds */
		die("%s", err);
	if (!o.no_sandbox && sandbox_enter(err, sizeof(err)))        /* both threads, from here on */
		die("%s", err);
	vm.test_die_first_exit = o.test_hook && !strcmp(o.test_hook, "die-at-first-exit"); /* a crash, mid-report */
	if (o.test_hook && !strcmp(o.test_hook, "forbidden-syscall")) { /* the sandbox must kill us */
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		fprintf(stderr, "vmm: test hook: socket() %s\n", fd >= 0 ? "was allowed" : "failed");
	}

	int rc = kvm_run_loop(&vm);                                 /* run */
	long peak_kib = o.stats ? peak_rss_kib() : 0;                /* the run's, before --stats' own work */
	iothread_stop();
	trace_flush();
	uart_flush();
	if (dump_file && pcibus_dump(dump_file))
		fprintf(stderr, "vmm: --dump-pci %s: %s\n", o.dump_pci, strerror(errno));
	if (o.stats) {
		io_stats_print();
		kvm_stats_print(stderr, io_exits_total());
		msr_stats_print(stderr);
		romslot_stats_print(stderr);
		irqbench_stats_print(stderr);
		pcibus_stats_print();
		devices_stats();
		passthrough_stats();
		fprintf(stderr, "stats: vmm peak RSS %ld KiB (while the guest ran)\n", peak_kib);
	}
	kvm_vm_destroy(&vm);
	return rc;
}
