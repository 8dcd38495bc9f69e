/*
 * main.c - the guest's C entry: set up, say where we are, run the actions
 * named on the command line, exit with a status.
 *
 * The command line (hvm_start_info.cmdline: the VMM's --append, QEMU's
 * -append) is a list of whitespace-separated actions, key or key=value, run
 * in order. It is checked whole before anything runs, so a typo at the end
 * does not leave half a benchmark behind: an unknown or malformed action
 * prints an error naming it and exits with EXITLAB_EXIT_USAGE (2).
 */
#include "attack.h"
#include "bench.h"
#include "blk.h"
#include "console.h"
#include "cpu.h"
#include "chaos.h"
#include "exitlab_abi.h"
#include "lib.h"
#include "machine.h"
#include "mark.h"
#include "pci.h"
#include "ptdev.h"
#include "rng.h"
#include "pvh.h"
#include "testdev.h"
#include "trap.h"
#include "tsc.h"
#include "virtio_transport.h"

#define GUEST_VERSION "0.1"

/* An action checks its value when dry_run is set and acts otherwise. */
struct action {
	const char *name;
	bool needs_value;
	int (*fn)(const char *val, size_t len, bool dry_run);
	const char *help;
};

static const struct exitlab_boot_info *exitlab_info;
/* The same module where it is big enough for the fields the guest writes
 * (console_buf_paddr), else NULL. */
static struct exitlab_boot_info *exitlab_info_rw;

static int action_exit(const char *val, size_t len, bool dry_run)
{
	uint64_t status;

	if (!parse_u64(val, len, &status) || status > EXITLAB_EXIT_GUEST_MAX) {
		printf("error: exit: '%.*s' is not a status from 0 to %d\n", (int)len, val, EXITLAB_EXIT_GUEST_MAX);
		return EXITLAB_EXIT_USAGE;
	}
	if (!dry_run)
		guest_exit((uint32_t)status);
	return EXITLAB_EXIT_OK;
}

/* No IDT: int3 cannot be delivered, nor can the #GP, nor the #DF. */
static uint64_t fault_triple_ring0(uint64_t unused)
{
	static const struct __attribute__((packed)) { uint16_t limit; uint64_t base; } none = { 0, 0 };

	__asm__ volatile("lidt %0; int3" ::"m"(none));
	return 0;
}

static int action_fault(const char *val, size_t len, bool dry_run)
{
	static const char *const kinds[] = { "ud", "pf", "triple", "hlt", "bp" };
	static const char *const what[] = {
		"raising #UD (ud2)", "raising #PF (load from an unmapped address)",
		"triple-faulting (empty IDT, then int3)", "halting with interrupts off (the VMM sees HLT)",
		"raising #BP (an int3 that is not ring0_call's)",
	};
	int k = word_find(val, len, WORDS(kinds));

	if (k < 0)
		return word_refuse("fault", val, len, WORDS(kinds));
	if (dry_run)
		return EXITLAB_EXIT_OK;
	printf("fault: %s on purpose\n", what[k]);
	console_flush();
	switch (k) {
	case 0:
		__asm__ volatile("ud2");
		break;
	case 1:
		/* Only the low 4 GiB are mapped (entry.S): 1 TiB is not. */
		(void)mmio_read32(0x10000000000ull);
		break;
	case 2:
		ring0_call(fault_triple_ring0, 0);
		break;
	case 3:
		trap_halt();
	case 4:
		/* With a function in %rax, as ring0_call leaves it: only the
		 * INT3's own address may make it a ring0_call. */
		__asm__ volatile("int3" ::"a"(trap_halt) : "memory");
		break;
	}
	panic("fault=%.*s did not fault", (int)len, val);
}

/* Stops without exiting, so that a test can inspect the VM from outside
 * (QEMU's QMP query-pci) and then end it. */
static int action_wait(const char *val, size_t len, bool dry_run)
{
	if (dry_run)
		return EXITLAB_EXIT_OK;
	printf("wait: halted with interrupts off until the VMM ends the VM\n");
	console_flush();
	trap_halt();
}

static int action_help(const char *val, size_t len, bool dry_run);

static const struct action actions[] = {
	{ "exit", true, action_exit, "exit=N: stop here with status N (0-123)" },
	{ "fault", true, action_fault, "fault=ud|pf|triple|hlt|bp: fail on purpose (for tests)" },
	{ "bench", true, bench_action, "bench=LIST: time exits (comma-separated; all; help)" },
	{ "bench.samples", true, bench_samples_action, "bench.samples=N: samples per benchmark (3-4095, default 31)" },
	{ "bench.single", true, bench_single_action, "bench.single=0|1: 1 times each operation alone (default 0: batches)" },
	{ "bench.raw", true, bench_raw_action, "bench.raw=0|1: 1 also prints every sample, in bench-raw lines" },
	{ "pci", true, pci_action,
	  "pci=list|cf8|ecam|reset: list enumerates every bus (assigning BARs firmware left at 0) and "
	  "prints functions, BARs and capabilities; cf8/ecam force the config mechanism of the next "
	  "pci=list (default: ECAM if ACPI has an MCFG, else cf8), e.g. pci=cf8 pci=list; reset undoes "
	  "firmware's BARs and bus numbers, so that the next pci=list assigns them all" },
	{ "mark", true, mark_action, "mark=TEXT: a marker on the exitlab marker port (logged by --trace=mark)" },
	{ "wait", false, action_wait, "wait: halt here without exiting (for tests that inspect the VM)" },
	{ "irq", true, virtio_irq_action, "irq=poll|msix: how virtio completions are awaited (default poll)" },
	{ "virtio", true, virtio_list_action, "virtio=list: start the virtio devices, show features, queues, notify addresses" },
	{ "blk.read", true, blk_read_action, "blk.read=SECTOR: read a 512-byte sector, print it as hex lines 'blk SECTOR: ...'" },
	{ "blk.write", true, blk_write_action, "blk.write=SECTOR:TEXT: write TEXT, padded with zero bytes, to SECTOR" },
	{ "blk.check", true, blk_check_action, "blk.check=0|1: 0 sends what the driver would refuse (read-only disk, past the end), to see the device refuse it" },
	{ "blk.flush", false, blk_flush_action, "blk.flush: flush the disk's write cache" },
	{ "blk.queues", true, blk_queues_action, "blk.queues=N: drive up to N request queues of the disk (VIRTIO_BLK_F_MQ; default 1)" },
	{ "blk.queue", true, blk_queue_action, "blk.queue=N|last: the queue the disk benchmarks time (default 0)" },
	{ "blk.disk", true, blk_disk_action, "blk.disk=N|last: drive the N-th virtio-blk disk in bus order, from 0, or the last (default: the first usable)" },
	{ "blk.mq", true, blk_mq_action, "blk.mq=TEXT: write 'TEXT q' to sector q through each queue q, read each back through another" },
	{ "blk.id", false, blk_id_action, "blk.id: print the disk's ID string (GET_ID)" },
	{ "blk.burst", true, blk_burst_action, "blk.burst=K: K reads kicked one by one without waiting (1-8): how many notified" },
	{ "virtio.event_idx", true, virtio_event_idx_action, "virtio.event_idx=0|1: negotiate VIRTIO_F_EVENT_IDX (default 1) or use the flags" },
	{ "rng.read", true, rng_read_action, "rng.read=N: read N random bytes, print them as one hex line 'rng ...'" },
	{ "testdev", true, testdev_action, "testdev=run: run every pci-testdev test once (8 writes each)" },
	{ "bar.read", true, bar_read_action, "bar.read=BB:DD.F,N,OFFSET,LEN: read LEN bytes (1-256) of BAR N, print them as one hex line 'bar ...'" },
	{ "bar.write", true, bar_write_action, "bar.write=BB:DD.F,N,OFFSET,TEXT: store TEXT's bytes in BAR N at OFFSET" },
	{ "cfg.write", true, cfg_write_action, "cfg.write=BB:DD.F,OFFSET,SIZE,VALUE: write a config register (SIZE 1, 2, 4), print what reads back" },
	{ "port.write", true, port_write_action, "port.write=PORT,SIZE,VALUE: one OUT of SIZE bytes (1, 2, 4) to PORT, aligned or not" },
	{ "chaos", true, chaos_action, "chaos=SEED[,COUNT]: random accesses to every port, MMIO range, BAR, config register and virtqueue the VMM handles (default 20000)" },
	{ "attack", true, attack_action, "attack=NAME: break a virtio rule on purpose (try attack=help)" },
	{ "help", false, action_help, "help: list the actions" },
};

static int action_help(const char *val, size_t len, bool dry_run)
{
	for (size_t i = 0; !dry_run && i < ARRAY_SIZE(actions); i++)
		printf("action %s\n", actions[i].help);
	return EXITLAB_EXIT_OK;
}

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Walks the command line; in the dry run every action only checks itself. */
static int cmdline_run(const char *cmdline, bool dry_run)
{
	const char *p = cmdline;

	for (;;) {
		while (is_space(*p))
			p++;
		if (!*p)
			return EXITLAB_EXIT_OK;
		const char *word = p;
		while (*p && !is_space(*p))
			p++;
		size_t wlen = (size_t)(p - word);
		size_t klen = 0;
		while (klen < wlen && word[klen] != '=')
			klen++;
		bool has_value = klen < wlen;

		int k = word_find(word, klen, WORDS_OF(actions, name));
		if (k < 0) {
			printf("error: unknown action '%.*s' (try 'help')\n", (int)wlen, word);
			return EXITLAB_EXIT_USAGE;
		}
		const struct action *a = &actions[k];
		if (a->needs_value != has_value) {
			printf("error: action '%.*s': %s\n", (int)wlen, word,
			       a->needs_value ? "needs a value (key=value)" : "takes no value");
			return EXITLAB_EXIT_USAGE;
		}
		if (!dry_run)
			mark(EXITLAB_MARK_BEGIN, word, wlen);
		int rc = a->fn(word + klen + 1, has_value ? wlen - klen - 1 : 0, dry_run);
		if (!dry_run) {
			char end[EXITLAB_MARK_TEXT_MAX];
			int n = snprintf(end, sizeof(end), "%.*s rc=%d", (int)(wlen < 100 ? wlen : 100), word, rc);
			mark(EXITLAB_MARK_END, end, (size_t)n);
		}
		if (rc != EXITLAB_EXIT_OK)
			return rc;
	}
}

/* The exitlab boot module, if this VMM is the exitlab VMM. */
static const struct exitlab_boot_info *find_exitlab_info(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *mods = (const void *)(uintptr_t)si->modlist_paddr;

	for (uint32_t i = 0; si->modlist_paddr && i < si->nr_modules && i < 16; i++) {
		const char *name = (const char *)(uintptr_t)mods[i].cmdline_paddr;
		const struct exitlab_boot_info *bi = (const void *)(uintptr_t)mods[i].paddr;
		if (name && !strcmp(name, EXITLAB_BOOT_MODULE_NAME) && mods[i].size >= EXITLAB_BOOT_INFO_V2_SIZE &&
		    bi->magic == EXITLAB_BOOT_MAGIC) {
			if (mods[i].size >= sizeof(struct exitlab_boot_info))
				exitlab_info_rw = (void *)(uintptr_t)mods[i].paddr;
			return bi; /* fields past version 2's 40 bytes: see bench_boot() */
		}
	}
	return NULL;
}

static void print_vmm(void)
{
	char sig[13] = "";
	struct cpuid_regs r = cpuid(1, 0);
	bool hv = r.ecx & (1u << 31);

	if (hv) {
		r = cpuid(0x40000000, 0);
		memcpy(sig + 0, &r.ebx, 4);
		memcpy(sig + 4, &r.ecx, 4);
		memcpy(sig + 8, &r.edx, 4);
		sig[12] = '\0';
	}
	if (exitlab_info)
		printf("vmm: exitlab %s (found the exitlab boot module)\n", exitlab_info->vmm_version);
	else if (fw_cfg_present())
		printf("vmm: QEMU (fw_cfg signature at port 0x510)\n");
	else
		printf("vmm: unknown PVH loader (no exitlab boot module, no fw_cfg)\n");
	printf("cpu: hypervisor bit %s, signature \"%s\"%s\n", hv ? "set" : "clear", sig,
	       !memcmp(sig, "KVMKVMKVM", 9) ? " (KVM)" : sig[0] ? "" : " (none: TCG or bare metal)");
}

static void print_memmap(const struct hvm_start_info *si)
{
	static const char *const types[] = { "?", "ram", "reserved", "acpi", "nvs", "unusable" };
	const struct hvm_memmap_table_entry *e = (const void *)(uintptr_t)si->memmap_paddr;
	uint64_t ram = 0;

	if (si->version < 1 || !si->memmap_paddr) {
		printf("memmap: none (hvm_start_info version %u)\n", si->version);
		return;
	}
	for (uint32_t i = 0; i < si->memmap_entries && i < 128; i++) {
		printf("memmap: %u base=0x%lx end=0x%lx size=0x%lx %s\n", i, e[i].addr,
		       e[i].addr + e[i].size, e[i].size, types[e[i].type < 6 ? e[i].type : 0]);
		if (e[i].type == HVM_MEMMAP_TYPE_RAM)
			ram += e[i].size;
	}
	printf("memmap: %u entries, %lu KiB of RAM\n", si->memmap_entries, ram >> 10);
}

void guest_main(const struct hvm_start_info *si);
void guest_main(const struct hvm_start_info *si)
{
	if (si->magic != HVM_START_MAGIC_VALUE) {
		console_init(0); /* UART */
		printf("error: %%ebx does not point at hvm_start_info (magic 0x%x)\n", si->magic);
		guest_exit(EXITLAB_EXIT_FAIL);
	}
	exitlab_info = find_exitlab_info(si);      /* what this VMM offers beyond PVH */
	console_init(exitlab_info ? exitlab_info->console_port : 0); /* first output path */
	if (exitlab_info_rw && exitlab_info_rw->version >= 4)  /* where held lines wait, should we die */
		exitlab_info_rw->console_buf_paddr = console_buf_paddr();
	console_hold(true);                        /* the boot report: one write */
	trap_init();                               /* faults are reported from here on */
	tsc_init(exitlab_info ? exitlab_info->tsc_khz : 0); /* clock for the benchmarks */
	bench_boot(exitlab_info, si);

	const char *cmdline = si->cmdline_paddr ? (const char *)(uintptr_t)si->cmdline_paddr : "";
	printf("exitlab guest %s, PVH entry, hvm_start_info v%u at %p\n", GUEST_VERSION, si->version, si);
	print_vmm();
	machine_print(si, exitlab_info != NULL, !exitlab_info);
	printf("console: %s\n", console_kind());
	print_memmap(si);
	printf("tsc: %lu kHz, from %s\n", tsc_khz(), tsc_source());
	printf("cmdline: \"%s\"\n", cmdline);

	/* Where the PCI walk finds ACPI: the exitlab VMM has no BIOS area to
	 * scan for the RSDP, it passes rsdp_paddr when it has tables at all. */
	pci_boot(si, !exitlab_info);
	int rc = cmdline_run(cmdline, true); /* check every action first */
	console_hold(false);                 /* out with the report, then line by line */
	if (rc == EXITLAB_EXIT_OK)
		rc = cmdline_run(cmdline, false);
	guest_exit((uint32_t)rc);
}
