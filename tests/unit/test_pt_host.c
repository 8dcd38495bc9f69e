/*
 * test_pt_host.c - the passthrough host side (vmm/pt_host.c) against
 * fixture devices made by scripts/mkfixture: from the recorded config
 * spaces in ../shared/corpus/pci-config/ (a good device, and one variant
 * per refusal: driver bound, bridge header, 64-byte config, missing
 * resourceN, unknown device, bad --sysfs-root; a BAR too small to map),
 * left out, saying so, when the corpus is not there; and from config spaces
 * built here, which always run (a 4096-byte config space, --sysfs-root
 * spellings, vetting of the resource files).
 * Runs from the repository root (make test does).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tap_skip.h"
#include "unit_sh.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pci_regs.h"

#include "pt_host.h"

#define CORPUS "../shared/corpus/pci-config/"
#define BLK "0000:00:02.0"

static char root[256];   /* ROOT/devices/BLK */
static char devdir[512];
static char err[512];
static char tmp[128];    /* this test's directory: ROOT */
static bool have_corpus;

/* Every setup is bounded: a test that would hang dies of SIGALRM, and the
 * harness reports it as failed. */
#define TEST_SECONDS 20


static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/* A fresh directory per test, and a fixture of the corpus virtio-blk in
 * TMP/devices when the corpus is there. */
static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/exitlab-pt-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(root, sizeof(root), "%s/devices", tmp);
	snprintf(devdir, sizeof(devdir), "%s/" BLK, root);
	if (have_corpus)
		sh("scripts/mkfixture " CORPUS "0000_00_02.0.config.bin " CORPUS "0000_00_02.0.resource.txt %s >/dev/null",
		   root);
	alarm(TEST_SECONDS);
	return 0;
}

static int teardown(void **state)
{
	alarm(0);
	sh("rm -rf %s", tmp);
	return 0;
}

/* One BAR: 16 KiB of 32-bit memory (IORESOURCE_MEM), then five absent
 * BARs and the ROM, the seven lines sysfs writes for a type-0 function. */
/* The seven lines of a resource file: BAR0 as given, the rest absent. */
#define RES_BAR0(line0) \
	line0 "\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"

#define RES_ONE_BAR RES_BAR0("0x00000000fe000000 0x00000000fe003fff 0x0000000000040200")

/* A device of our own, 0000:00:06.0 under dir (made if need be): a
 * config space of cfg_len bytes (64, 256 or 4096) with IDs 1234:5678,
 * class 0x028000, header type 0, no capabilities; res as its resource
 * file. Returns the device directory (static). */
static const char *own_fixture(const char *dir, size_t cfg_len, const char *res)
{
	static uint8_t cfg[4096];
	static char dev[512];
	char cfg_path[256], res_path[256];

	sh("rm -rf '%s/0000:00:06.0'", dir);
	memset(cfg, 0, sizeof(cfg));
	cfg[PCI_VENDOR_ID] = 0x34, cfg[PCI_VENDOR_ID + 1] = 0x12;
	cfg[PCI_DEVICE_ID] = 0x78, cfg[PCI_DEVICE_ID + 1] = 0x56;
	cfg[PCI_CLASS_REVISION + 2] = 0x80, cfg[PCI_CLASS_REVISION + 3] = 0x02;
	cfg[0x100] = 0xaa; /* something past 256 to read back */
	cfg[0xfff] = 0x55;
	snprintf(cfg_path, sizeof(cfg_path), "%s/own.config", tmp);
	snprintf(res_path, sizeof(res_path), "%s/own.resource", tmp);
	write_file(cfg_path, cfg, cfg_len);
	write_file(res_path, res, strlen(res));
	sh("scripts/mkfixture --bdf 0000:00:06.0 %s %s '%s' >/dev/null", cfg_path, res_path, dir);
	snprintf(dev, sizeof(dev), "%s/0000:00:06.0", dir);
	return dev;
}

static void test_good_device(void **state)
{
	struct pt_host h;
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), 0);
	/* Facts of the recorded device, from the virtio spec and its lspci -vvv:
	 * virtio-blk modern (0x1040 + 2), mass storage "other" class, one 64-bit
	 * 512 KiB memory BAR. */
	assert_int_equal(h.vendor_id, 0x1af4);
	assert_int_equal(h.device_id, 0x1042);
	assert_int_equal(h.class_code, 0x018000);
	assert_int_equal(h.config_len, 256);
	assert_int_equal(h.bars[0].type, PCI_PARSE_BAR_MEM64);
	assert_int_equal(h.bars[0].size, 512 * 1024);
	assert_int_equal(h.bars[0].host_addr, 0x4000080000ull);
	assert_true(h.bars[0].mappable);
	assert_true(h.bars[0].fd >= 0);
	for (int i = 1; i < 6; i++)
		assert_int_equal(h.bars[i].size, 0); /* no BAR */
	pt_host_close(&h);
}

static void test_short_bdf_form(void **state)
{
	struct pt_host h;
	assert_int_equal(pt_host_open(&h, "00:02.0", root, false, err, sizeof(err)), 0);
	assert_string_equal(h.bdf, BLK);
	pt_host_close(&h);
}

static void test_refuse_bad_bdf(void **state)
{
	struct pt_host h;
	assert_int_equal(pt_host_open(&h, "00:02", root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "give the device as DDDD:BB:DD.F"));
	assert_int_equal(pt_host_open(&h, "0000:00:20.0", root, false, err, sizeof(err)), -1);
	/* The whole string is the address (common/pci_bdf.c): nothing after
	 * it, nothing before it. */
	assert_int_equal(pt_host_open(&h, "0000:00:02.0x", root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "give the device as DDDD:BB:DD.F"));
	assert_int_equal(pt_host_open(&h, " 0000:00:02.0", root, false, err, sizeof(err)), -1);
	assert_int_equal(pt_host_open(&h, "0000:00:02.00", root, false, err, sizeof(err)), -1);
}

static void test_refuse_unknown_device(void **state)
{
	struct pt_host h;
	assert_int_equal(pt_host_open(&h, "0000:00:09.0", root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no PCI device 0000:00:09.0 under"));
}

static void test_refuse_bad_root(void **state)
{
	struct pt_host h;
	assert_int_equal(pt_host_open(&h, BLK, "/nonexistent/devices", false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--sysfs-root /nonexistent/devices"));
}

static void test_refuse_bound_driver(void **state)
{
	struct pt_host h;
	sh("mkdir -p %s/../drivers/virtio-pci && ln -s ../../drivers/virtio-pci %s/driver", root, devdir);
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bound to the host driver 'virtio-pci': unbind it first"));
	assert_non_null(strstr(err, "--force"));
	assert_int_equal(pt_host_open(&h, BLK, root, true, err, sizeof(err)), 0);
	pt_host_close(&h);
}

static void test_refuse_bridge(void **state)
{
	struct pt_host h;
	/* Header type register (0x0e) = 1: a PCI-to-PCI bridge. */
	sh("printf '\\001' | dd of=%s/config bs=1 seek=14 conv=notrunc status=none", devdir);
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "header type 1: only type-0 endpoints"));
}

static void test_refuse_unprivileged_config(void **state)
{
	struct pt_host h;
	/* A config file of 64 bytes: what a non-root reader of sysfs gets from
	 * a config whose size says 256 or 4096 (then: "run as root"); here the
	 * file itself is short, and the message says so, root or not. */
	sh("truncate -s 64 %s/config", devdir);
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "config is 64 bytes: a config space is 256 or 4096 bytes"));
	assert_null(strstr(err, "run as root"));
}

static void test_refuse_missing_resource_file(void **state)
{
	struct pt_host h;
	sh("rm %s/resource0", devdir);
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "memory BAR 0 has no usable"));
}

static void test_small_bar_is_trapped_not_mapped(void **state)
{
	struct pt_host h;
	/* A 2 KiB BAR: not a whole page, so it cannot be a memory slot. */
	sh("printf '0x00000000fe000000 0x00000000fe0007ff 0x0000000000040200\\n' > %s/resource && "
	   "printf '0x0000000000000000 0x0000000000000000 0x0000000000000000\\n%%.0s' 1 2 3 4 5 6 >> %s/resource && "
	   "truncate -s 2048 %s/resource0", devdir, devdir, devdir);
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), 0);
	assert_int_equal(h.bars[0].type, PCI_PARSE_BAR_MEM32);
	assert_int_equal(h.bars[0].size, 2048);
	assert_false(h.bars[0].mappable);
	pt_host_close(&h);
}

static void test_bars_after_a_64bit_bar(void **state)
{
	struct pt_host h;
	/* BAR0 64-bit (its upper half is line 1, zeroes), BAR2 32-bit, BAR4 I/O:
	 * the layout of many real devices. */
	sh("printf '%%s\\n' '0x0000004000000000 0x000000400000ffff 0x0000000000140204' "
	   "'0x0000000000000000 0x0000000000000000 0x0000000000000000' "
	   "'0x00000000fe000000 0x00000000fe001fff 0x0000000000040200' "
	   "'0x0000000000000000 0x0000000000000000 0x0000000000000000' "
	   "'0x000000000000c000 0x000000000000c03f 0x0000000000040101' "
	   "'0x0000000000000000 0x0000000000000000 0x0000000000000000' > %s/resource && "
	   "truncate -s 65536 %s/resource0 && truncate -s 8192 %s/resource2 && truncate -s 64 %s/resource4",
	   devdir, devdir, devdir, devdir);
	assert_int_equal(pt_host_open(&h, BLK, root, false, err, sizeof(err)), 0);
	assert_int_equal(h.bars[0].type, PCI_PARSE_BAR_MEM64);
	assert_int_equal(h.bars[0].size, 65536);
	assert_int_equal(h.bars[1].size, 0); /* no BAR */
	assert_int_equal(h.bars[2].type, PCI_PARSE_BAR_MEM32);
	assert_int_equal(h.bars[2].size, 8192);
	assert_int_equal(h.bars[2].host_addr, 0xfe000000);
	assert_int_equal(h.bars[3].size, 0); /* no BAR */
	assert_int_equal(h.bars[4].type, PCI_PARSE_BAR_IO);
	assert_int_equal(h.bars[4].size, 64);
	pt_host_close(&h);
}

/* Every PCIe device's config space reads as 4096 bytes (as root): all of
 * it is read, and the read ends. */
static void test_config_space_of_4096_bytes(void **state)
{
	struct pt_host h;
	own_fixture(root, 4096, RES_ONE_BAR);
	assert_int_equal(pt_host_open(&h, "0000:00:06.0", root, false, err, sizeof(err)), 0);
	assert_int_equal(h.config_len, 4096);
	assert_int_equal(h.config[0x100], 0xaa);
	assert_int_equal(h.config[0xfff], 0x55);
	assert_int_equal(h.vendor_id, 0x1234);
	pt_host_close(&h);
}

/* Entries in dir, but for "." and "..". */
static unsigned dir_entries(const char *dir)
{
	char cmd[512];
	unsigned n = 0;
	snprintf(cmd, sizeof(cmd), "ls -A '%s'", dir);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	while (fgets(cmd, sizeof(cmd), p))
		n++;
	pclose(p);
	return n;
}

/* --sysfs-root is any directory of DDDD:BB:DD.F entries: absolute or
 * relative, with a trailing slash or not, named anything. Nothing
 * temporary is left behind (in TMPDIR, pointed at our directory). */
static void test_sysfs_root_any_spelling(void **state)
{
	struct pt_host h;
	char abs[256], cwd[4096];
	snprintf(abs, sizeof(abs), "%s/fx", tmp);
	own_fixture(abs, 256, RES_ONE_BAR);
	setenv("TMPDIR", tmp, 1);
	unsigned before = dir_entries(tmp);
	assert_non_null(getcwd(cwd, sizeof(cwd)));

	const char *roots[] = { abs, "fx", "fx/", "./fx//", NULL };
	char with_slash[300];
	snprintf(with_slash, sizeof(with_slash), "%s/", abs);
	roots[4] = with_slash;
	assert_int_equal(chdir(tmp), 0);
	for (unsigned i = 0; i < 5; i++) {
		err[0] = '\0';
		int rc = pt_host_open(&h, "0000:00:06.0", roots[i], false, err, sizeof(err));
		if (rc)
			print_message("# --sysfs-root %s: %s\n", roots[i], err);
		assert_int_equal(rc, 0);
		assert_int_equal(h.vendor_id, 0x1234);
		assert_true(h.bars[0].fd >= 0);
		pt_host_close(&h);
		assert_int_equal(dir_entries(tmp), before);
	}
	/* A relative sub/devices too (the old code took "sub/devices/devices"). */
	assert_int_equal(mkdir("sub", 0755), 0);
	assert_int_equal(rename("fx", "sub/devices"), 0);
	int rc = pt_host_open(&h, "0000:00:06.0", "sub/devices", false, err, sizeof(err));
	if (rc)
		print_message("# --sysfs-root sub/devices: %s\n", err);
	assert_int_equal(rc, 0);
	pt_host_close(&h);
	assert_int_equal(chdir(cwd), 0);
	unsetenv("TMPDIR");
}

/* Opens the device of own_fixture(root, ...), which must be refused with
 * want in the message. */
static void refused_with(const char *want)
{
	struct pt_host h;
	err[0] = '\0';
	int rc = pt_host_open(&h, "0000:00:06.0", root, false, err, sizeof(err));
	if (rc == 0)
		pt_host_close(&h);
	if (rc != -1 || !strstr(err, want))
		print_message("# wanted a refusal saying '%s', got %d: '%s'\n", want, rc, err);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(err, want));
}

#define RES_ZERO_LINES \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n" \
	"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"

/* A good own fixture in root, then its resource file replaced by res. */
static void bad_resource(const char *res)
{
	char path[600];
	snprintf(path, sizeof(path), "%s/resource", own_fixture(root, 256, RES_ONE_BAR));
	write_file(path, res, strlen(res));
}

static void test_refuse_bad_resource_lines(void **state)
{
	/* end below start: empty, or wrapping past 2^64 */
	bad_resource(RES_BAR0("0x00000000fe001000 0x00000000fe000fff 0x0000000000040200"));
	refused_with("BAR 0: 0xfe001000-0xfe000fff is empty or wraps");
	bad_resource(RES_BAR0("0xfffffffffffff000 0x0000000000000fff 0x0000000000040200"));
	refused_with("BAR 0: 0xfffffffffffff000-0xfff is empty or wraps");
	bad_resource(RES_BAR0("0x0000000000000000 0xffffffffffffffff 0x0000000000140204"));
	refused_with("BAR 0: 0x0-0xffffffffffffffff is empty or wraps");
	/* 12 KiB: BARs are powers of two */
	bad_resource(RES_BAR0("0x00000000fe000000 0x00000000fe002fff 0x0000000000040200"));
	refused_with("BAR 0: size 0x3000 is not a power of two");
	/* neither I/O nor memory */
	bad_resource(RES_BAR0("0x00000000fe000000 0x00000000fe003fff 0x0000000000000000"));
	refused_with("BAR 0: flags 0x0 say neither I/O (0x100) nor memory (0x200)");
	/* too small for a BAR of its kind */
	bad_resource(RES_BAR0("0x00000000fe000000 0x00000000fe000007 0x0000000000040200"));
	refused_with("BAR 0: 8 bytes of memory: a memory BAR has at least 16");
	/* a 64-bit BAR whose upper half (line 2) is not zeroes */
	bad_resource("0x0000004000000000 0x0000004000003fff 0x0000000000140204\n"
		     "0x00000000fe000000 0x00000000fe003fff 0x0000000000040200\n" RES_ZERO_LINES);
	refused_with("BAR 1 is the upper half of 64-bit BAR 0, but line 2");
	/* no lines at all, or fewer than the six BARs */
	bad_resource("");
	refused_with("resource has 0 lines: sysfs writes one per BAR (6), then the ROM");
	bad_resource("0x00000000fe000000 0x00000000fe003fff 0x0000000000040200\n");
	refused_with("resource has 1 lines");
}

/* A resourceN shorter than its BAR is not the device's (sysfs makes it as
 * long as the BAR): refused, never written past its end. */
static void test_refuse_short_resource_file(void **state)
{
	const char *dev = own_fixture(root, 256, RES_ONE_BAR);
	sh("truncate -s 4096 '%s/resource0'", dev);
	refused_with("resource0 is 4096 bytes, but BAR 0 is 16384");
}

/* Every file is the device directory's own: a symbolic link out of it is
 * refused (sysfs has none there but driver and friends). */
static void test_refuse_symlinks_out_of_the_device(void **state)
{
	const char *dev = own_fixture(root, 256, RES_ONE_BAR);
	sh("mv '%s/resource0' %s/elsewhere && ln -s %s/elsewhere '%s/resource0'", dev, tmp, tmp, dev);
	refused_with("resource0 is a symbolic link");
	dev = own_fixture(root, 256, RES_ONE_BAR);
	sh("mv '%s/resource' %s/elsewhere && ln -s %s/elsewhere '%s/resource'", dev, tmp, tmp, dev);
	refused_with("resource is a symbolic link");
	dev = own_fixture(root, 256, RES_ONE_BAR);
	sh("mv '%s/config' %s/elsewhere && ln -s %s/elsewhere '%s/config'", dev, tmp, tmp, dev);
	refused_with("config is a symbolic link");
}

/* A config file that is no config space says what it is, as root too:
 * "run as root" only where that would help. */
static void test_refuse_odd_config_sizes(void **state)
{
	const char *dev = own_fixture(root, 256, RES_ONE_BAR);
	sh("truncate -s 100 '%s/config'", dev);
	refused_with("config is 100 bytes: a config space is 256 or 4096 bytes");
	assert_null(strstr(err, "run as root"));
	sh("truncate -s 0 '%s/config'", dev);
	refused_with("config is 0 bytes: a config space is 256 or 4096 bytes");
}

int main(void)
{
	/* The corpus tests first; without the corpus each is an honest TAP
	 * skip with the reason (tap_skip.h: cmocka's skip() reads as a failure
	 * in prove). */
	have_corpus = access(CORPUS "0000_00_02.0.config.bin", R_OK) == 0;
#define CORPUS_CASE(f) \
	(have_corpus ? (struct CMUnitTest)cmocka_unit_test_setup_teardown(f, setup, teardown) \
		     : TAP_SKIPPED(f, CORPUS " is not there (../shared sits beside the repository)"))
	const struct CMUnitTest tests[] = {
		CORPUS_CASE(test_good_device),
		CORPUS_CASE(test_short_bdf_form),
		CORPUS_CASE(test_refuse_bad_bdf),
		CORPUS_CASE(test_refuse_unknown_device),
		CORPUS_CASE(test_refuse_bad_root),
		CORPUS_CASE(test_refuse_bound_driver),
		CORPUS_CASE(test_refuse_bridge),
		CORPUS_CASE(test_refuse_unprivileged_config),
		CORPUS_CASE(test_refuse_missing_resource_file),
		CORPUS_CASE(test_small_bar_is_trapped_not_mapped),
		CORPUS_CASE(test_bars_after_a_64bit_bar),
		cmocka_unit_test_setup_teardown(test_config_space_of_4096_bytes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysfs_root_any_spelling, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_bad_resource_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_short_resource_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_symlinks_out_of_the_device, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_odd_config_sizes, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
