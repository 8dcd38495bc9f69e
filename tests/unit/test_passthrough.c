/*
 * test_passthrough.c - the passthrough mediation layer (vmm/passthrough.c)
 * on a fixture device built here (scripts/mkfixture, no corpus needed),
 * through the entry points the guest reaches: config accesses
 * (pcibus_cfg_read/write) and MMIO exits (io_mmio). Without /dev/kvm the
 * memory slots cannot be set (the VMM says so and goes on); the trapped
 * pages, which are what is tested here, need no KVM.
 *
 * The device's capability list is hostile: a vendor-specific capability
 * long enough to cover MSI-X and MSI, one starting inside MSI, a PCI
 * Express capability running past 0xff and a vendor-specific one running
 * past 0xff. Emulated registers must win over every copied byte.
 *
 * The bytes of the MSI-X table page outside the table are forwarded to
 * the device: every size from 1 to 16 at every alignment must reach the
 * right bytes of resource0, touch no others, and do no misaligned load
 * or store (UB in C; UBSan aborts on it). The last is checked with the
 * x86 alignment-check flag (EFLAGS.AC): with it set, a misaligned access
 * in user mode raises SIGBUS.
 *
 * A passthrough BAR placed over another device is refused, naming it, and
 * decodes as soon as the other moves away.
 * Runs from the repository root (make test does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit_sh.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "msix.h"
#include "passthrough.h"
#include "pci_regs.h"
#include "pcibus.h"
#include "vmm.h"

#define SLOT 7
#define BDF "0000:00:07.0"
#define BAR0_GPA 0xe0000000u
#define BAR0_SIZE 0x4000u
#define TABLE_OFF 0x2000u /* MSI-X table in BAR0; PBA at 0x3000 */

static struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .ram_size = 64 << 20 };
static char tmp[64], res0[256], vmm_stderr[8192];

#define RD(off, size) pcibus_cfg_read(0, SLOT, 0, (off), (size))
#define WR(off, size, v) pcibus_cfg_write(0, SLOT, 0, (off), (size), (v))


static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* The device: 1234:5678, BAR0 16 KiB of 32-bit memory, and this list
 * (in list order; offsets, lengths):
 *   0x50 MSI-X, 12 bytes: 128 entries, enabled (the host's state),
 *        table BAR0+0x2000, PBA BAR0+0x3000
 *   0x40 vendor-specific, cap_len 0x30: over MSI-X and MSI (clip to 0x10)
 *   0x60 MSI, 64-bit with per-vector masking, 24 bytes, enabled
 *   0x70 vendor-specific, cap_len 8: starts inside MSI (refuse)
 *   0xd0 PCI Express, 0x3c bytes: past 0xff (refuse)
 *   0xf0 vendor-specific, cap_len 0x20: past 0xff (clip to 0x10) */
static void make_device(void)
{
	uint8_t cfg[256] = { 0 };
	char cfg_path[128], res_path[128], root[128];

	put16(cfg + PCI_VENDOR_ID, 0x1234);
	put16(cfg + PCI_DEVICE_ID, 0x5678);
	put16(cfg + PCI_STATUS, PCI_STATUS_CAP_LIST);
	put32(cfg + PCI_CLASS_REVISION, 0x02800001);
	cfg[PCI_CAPABILITY_LIST] = 0x50;
	cfg[0x50] = PCI_CAP_ID_MSIX, cfg[0x51] = 0x40;
	put16(cfg + 0x52, 0x8000 | (128 - 1));
	put32(cfg + 0x54, TABLE_OFF | 0);
	put32(cfg + 0x58, 0x3000 | 0);
	cfg[0x40] = PCI_CAP_ID_VNDR, cfg[0x41] = 0x60, cfg[0x42] = 0x30;
	for (unsigned i = 0x43; i < 0x50; i++)
		cfg[i] = (uint8_t)i;
	cfg[0x60] = PCI_CAP_ID_MSI, cfg[0x61] = 0x70;
	put16(cfg + 0x62, 0x0181); /* per-vector mask, 64-bit, enable */
	cfg[0x70] = PCI_CAP_ID_VNDR, cfg[0x71] = 0xd0, cfg[0x72] = 8; /* MSI's mask bits */
	cfg[0xd0] = PCI_CAP_ID_EXP, cfg[0xd1] = 0xf0;
	put16(cfg + 0xd2, 0x0002);
	cfg[0xf0] = PCI_CAP_ID_VNDR, cfg[0xf1] = 0, cfg[0xf2] = 0x20;
	for (unsigned i = 0xf3; i < 0x100; i++)
		cfg[i] = (uint8_t)i;

	snprintf(cfg_path, sizeof(cfg_path), "%s/dev.config", tmp);
	snprintf(res_path, sizeof(res_path), "%s/dev.resource", tmp);
	snprintf(root, sizeof(root), "%s/fx", tmp);
	write_file(cfg_path, cfg, sizeof(cfg));
	const char *res = "0x00000000fe000000 0x00000000fe003fff 0x0000000000040200\n"
			  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
			  "0x0000000000000000 0x0000000000000000 0x0000000000000000\n";
	write_file(res_path, res, strlen(res));
	sh("scripts/mkfixture --bdf " BDF " %s %s %s >/dev/null", cfg_path, res_path, root);
	snprintf(res0, sizeof(res0), "%s/" BDF "/resource0", root);
}

static int setup_once(void **state)
{
	char err[512], root[128], log[128];

	snprintf(tmp, sizeof(tmp), "/tmp/exitlab-ptm-XXXXXX");
	if (!mkdtemp(tmp) || pcibus_init(&vm, NULL, 0))
		return -1;
	make_device();
	/* What the VMM says while it builds the device, from stderr. */
	snprintf(root, sizeof(root), "%s/fx", tmp);
	snprintf(log, sizeof(log), "%s/stderr", tmp);
	fflush(stderr);
	int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	static struct pt_host host;
	int rc = pt_host_open(&host, BDF, root, false, err, sizeof(err));
	if (!rc)
		rc = passthrough_add(&vm, &host, false, PCI_BDF(0, SLOT, 0), err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fd);
	FILE *f = fopen(log, "r");
	size_t n = f ? fread(vmm_stderr, 1, sizeof(vmm_stderr) - 1, f) : 0;
	vmm_stderr[n] = '\0';
	if (f)
		fclose(f);
	fputs(vmm_stderr, stderr);
	if (rc)
		fprintf(stderr, "passthrough_add: %s\n", err);
	return rc;
}

static int teardown_once(void **state)
{
	sh("rm -rf %s", tmp);
	return 0;
}

/* The guest's capability list: offsets in order. */
static unsigned guest_caps(uint8_t *offs, unsigned max)
{
	unsigned n = 0;
	for (uint8_t o = (uint8_t)RD(PCI_CAPABILITY_LIST, 1); o && n < max; o = (uint8_t)RD(o + 1, 1))
		offs[n++] = o;
	return n;
}

static void test_emulated_registers_win_over_copied_caps(void **state)
{
	uint8_t offs[16];
	unsigned n = guest_caps(offs, 16);

	/* The list: MSI-X, the clipped vendor cap, MSI, the clipped last one. */
	assert_int_equal(n, 4);
	assert_int_equal(offs[0], 0x50);
	assert_int_equal(offs[1], 0x40);
	assert_int_equal(offs[2], 0x60);
	assert_int_equal(offs[3], 0xf0);
	/* MSI-X Message Control is the emulation's: as many entries as it
	 * emulates, disabled, not the host's 128 entries and enable bit. */
	assert_int_equal(RD(0x50, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(RD(0x52, 2), PT_MSIX_OFFERED - 1);
	assert_int_equal(RD(0x54, 4), TABLE_OFF);
	/* ... and the guest's to enable. */
	WR(0x52, 2, 0x8000);
	assert_int_equal(RD(0x52, 2), 0x8000 | (PT_MSIX_OFFERED - 1));
	WR(0x52, 2, 0);
	/* MSI: the host's enable bit is not the guest's. */
	assert_int_equal(RD(0x62, 2), 0x0180);
	/* The vendor caps say the length they were clipped to; their other
	 * bytes are the device's. */
	assert_int_equal(RD(0x40, 1), PCI_CAP_ID_VNDR);
	assert_int_equal(RD(0x42, 1), 0x10);
	assert_int_equal(RD(0x44, 4), 0x47464544);
	assert_int_equal(RD(0xf2, 1), 0x10);
	assert_int_equal(RD(0xfc, 4), 0xfffefdfc);
	/* The refused PCI Express capability is gone, bytes and all. */
	assert_int_equal(RD(0xd0, 4), 0);
	/* Each refusal and clip was said, naming the device and offsets. */
	assert_non_null(strstr(vmm_stderr, BDF ": capability 0x09 at 0x40"));
	assert_non_null(strstr(vmm_stderr, "overlaps capability 0x11 at 0x50: clipped to 16 bytes"));
	assert_non_null(strstr(vmm_stderr, BDF ": capability 0x09 at 0x70"));
	assert_non_null(strstr(vmm_stderr, "overlaps capability 0x05 at 0x60: refused"));
	assert_non_null(strstr(vmm_stderr, BDF ": capability 0x10 at 0xd0"));
	assert_non_null(strstr(vmm_stderr, "runs past 0xff: refused"));
	assert_non_null(strstr(vmm_stderr, BDF ": capability 0x09 at 0xf0"));
	assert_non_null(strstr(vmm_stderr, "runs past 0xff: clipped to 16 bytes"));
}

/* --- trapped bytes: any size, any alignment, no misaligned access ------------ */

static sigjmp_buf misaligned;

static inline void ac_set(void) { __asm__ volatile("pushfq; orl $0x40000, (%%rsp); popfq" ::: "memory", "cc"); }
static inline void ac_clear(void) { __asm__ volatile("pushfq; andl $~0x40000, (%%rsp); popfq" ::: "memory", "cc"); }

static void on_sigbus(int sig)
{
	ac_clear();
	siglongjmp(misaligned, 1);
}

/* One guest access with alignment checking on; false if it did a
 * misaligned load or store. Made once before without the check, so that
 * the dynamic linker's lazy binding (which does misaligned loads of its
 * own) is done by then; the access is idempotent. */
static bool mmio_aligned(uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
	uint8_t copy[16];
	memcpy(copy, data, size);
	io_mmio(&vm, addr, copy, size, is_write);
	if (sigsetjmp(misaligned, 1))
		return false;
	ac_set();
	io_mmio(&vm, addr, data, size, is_write);
	ac_clear();
	return true;
}

static void file_read(uint64_t off, uint8_t *buf, size_t len)
{
	int fd = open(res0, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void file_write(uint64_t off, const uint8_t *buf, size_t len)
{
	int fd = open(res0, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void test_trapped_bytes_any_size_and_alignment(void **state)
{
	/* BAR0 at BAR0_GPA, decoding: the MSI-X table page traps. */
	WR(PCI_BASE_ADDRESS_0, 4, BAR0_GPA);
	WR(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	struct sigaction sa = { .sa_handler = on_sigbus }, old;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGBUS, &sa, &old), 0);

	/* Past the device's 128 entries (2 KiB), the page is the device's
	 * (entries 64-127 are its too, but trap: they read as ones). */
	const uint64_t base = TABLE_OFF + 0x800;
	uint8_t pattern[64], got[64], want[64];
	for (unsigned size = 1; size <= 16; size++) {
		for (unsigned align = 0; align < 8; align++) {
			uint64_t off = base + 16 + align;
			for (unsigned i = 0; i < sizeof(pattern); i++)
				pattern[i] = (uint8_t)(size * 31 + align * 7 + i * 13 + 1);
			file_write(base, pattern, sizeof(pattern));
			/* A read returns the device's bytes at off. */
			uint8_t data[16];
			memset(data, 0xee, sizeof(data));
			if (!mmio_aligned(BAR0_GPA + off, data, size, false))
				fail_msg("read of %u bytes at BAR0+0x%llx: misaligned access in the VMM", size,
					 (unsigned long long)off);
			if (memcmp(data, pattern + 16 + align, size))
				fail_msg("read of %u bytes at BAR0+0x%llx: wrong bytes", size, (unsigned long long)off);
			/* A write changes exactly those bytes. */
			for (unsigned i = 0; i < size; i++)
				data[i] = (uint8_t)~pattern[16 + align + i];
			if (!mmio_aligned(BAR0_GPA + off, data, size, true))
				fail_msg("write of %u bytes at BAR0+0x%llx: misaligned access in the VMM", size,
					 (unsigned long long)off);
			memcpy(want, pattern, sizeof(want));
			memcpy(want + 16 + align, data, size);
			file_read(base, got, sizeof(got));
			if (memcmp(got, want, sizeof(want)))
				fail_msg("write of %u bytes at BAR0+0x%llx: wrong bytes in the device", size,
					 (unsigned long long)off);
		}
	}
	sigaction(SIGBUS, &old, NULL);
}

/* --- a refused BAR decodes once the other device moves ---------------------- */

static struct pci_fn other;
static unsigned other_hits;

static void other_io(struct vm *v, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	other_hits++;
}

static void test_refused_bar_decodes_once_the_other_moves(void **state)
{
	const uint64_t there = 0xd0000000;
	uint8_t pattern[4] = { 0x11, 0x22, 0x33, 0x44 }, d[4];

	pci_fn_init(&other, "other", 0x1234, 0x0001, 0xff0000, 0);
	pci_fn_bar(&other, 0, PCI_PARSE_BAR_MEM32, false, 0x4000, other_io, NULL);
	assert_int_equal(pcibus_add(&other, PCI_BDF(0, SLOT + 1, 0), NULL, 0), 0);
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_BASE_ADDRESS_0, 4, (uint32_t)there);
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	file_write(TABLE_OFF + 0x800, pattern, 4);

	/* Our BAR0 over it: refused, naming it; the other device still
	 * answers there. */
	char log[128], said[1024];
	snprintf(log, sizeof(log), "%s/stderr2", tmp);
	WR(PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	fflush(stderr);
	int saved = dup(2), fd = open(log, O_RDWR | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 2);
	WR(PCI_BASE_ADDRESS_0, 4, (uint32_t)there);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, said, sizeof(said) - 1, 0);
	said[n > 0 ? n : 0] = '\0';
	close(fd);
	fputs(said, stderr);
	assert_non_null(strstr(said, "00:07.0 passthrough BAR0 at [0xd0000000, 0xd0004000) overlaps 00:08.0 other BAR0 at "
				     "[0xd0000000, 0xd0004000): left undecoded until it moves"));
	assert_int_equal(RD(PCI_BASE_ADDRESS_0, 4), there);
	other_hits = 0;
	io_mmio(&vm, there + TABLE_OFF + 0x800, d, 4, false);
	assert_int_equal(other_hits, 1);

	/* It moves away: our BAR0 decodes where its register says. */
	pcibus_cfg_write(0, SLOT + 1, 0, PCI_BASE_ADDRESS_0, 4, (uint32_t)there + 0x1000000);
	memset(d, 0, sizeof(d));
	io_mmio(&vm, there + TABLE_OFF + 0x800, d, 4, false);
	assert_int_equal(other_hits, 1);
	assert_memory_equal(d, pattern, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_emulated_registers_win_over_copied_caps),
		cmocka_unit_test(test_trapped_bytes_any_size_and_alignment),
		cmocka_unit_test(test_refused_bar_decodes_once_the_other_moves),
	};
	return cmocka_run_group_tests(tests, setup_once, teardown_once);
}
