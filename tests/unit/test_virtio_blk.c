/*
 * test_virtio_blk.c - virtio-blk requests (vmm/virtio_blk.c) against a real
 * temporary disk file: reads return the file's bytes, writes land in the
 * file, flush succeeds, and every bad request (out of range, wrapping
 * sector, write to a read-only disk, unknown type, wrong buffer direction,
 * no status byte) gets its status without touching the file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "virtio_blk.h"

#define SECTORS 8

static char path[64];
static struct blk_disk disk;
static struct virtio_blk_req_hdr hdr;
static uint8_t data[2 * 512], status;
static char err[256];

static int setup(void **state)
{
	strcpy(path, "/tmp/exitlab-blk-XXXXXX");
	int fd = mkstemp(path);
	uint8_t buf[SECTORS * 512];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i / 512 * 16 + i % 7); /* each sector recognisable */
	if (fd < 0 || write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		return -1;
	close(fd);
	return blk_disk_open(&disk, path, err, sizeof(err));
}

static int teardown(void **state)
{
	blk_disk_close(&disk);
	unlink(path);
	return 0;
}

/* header, `n` data bytes (writable for reads), status */
static uint32_t request(uint32_t type, uint64_t sector, uint32_t n, bool data_writable)
{
	struct virtq_chain c = { .head = 0, .nbufs = 0 };
	hdr = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	c.bufs[c.nbufs++] = (struct virtq_buf){ &hdr, sizeof(hdr), false };
	if (n)
		c.bufs[c.nbufs++] = (struct virtq_buf){ data, n, data_writable };
	c.bufs[c.nbufs++] = (struct virtq_buf){ &status, 1, true };
	status = 0xee;
	return blk_disk_request(&disk, &c);
}

static void file_sector(uint64_t sector, uint8_t *out)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, (long)(sector * 512), SEEK_SET), 0);
	assert_int_equal(fread(out, 1, 512, f), 512);
	fclose(f);
}

static void test_capacity(void **state)
{
	assert_int_equal(disk.sectors, SECTORS);
	assert_false(disk.read_only);
}

static void test_read(void **state)
{
	uint8_t want[512];
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 512, true), 512 + 1);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
	file_sector(3, want);
	assert_memory_equal(data, want, 512);
}

static void test_write_lands_in_file(void **state)
{
	uint8_t got[512];
	memset(data, 'w', 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 5, 512, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
	file_sector(5, got);
	assert_memory_equal(got, data, 512);
	assert_int_equal(request(VIRTIO_BLK_T_FLUSH, 0, 0, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
}

static void test_out_of_range(void **state)
{
	uint8_t before[512], after[512];
	file_sector(SECTORS - 1, before);
	assert_int_equal(request(VIRTIO_BLK_T_IN, SECTORS, 512, true), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	/* Two sectors starting at the last one: runs off the end. */
	memset(data, 'x', sizeof(data));
	assert_int_equal(request(VIRTIO_BLK_T_OUT, SECTORS - 1, 1024, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	file_sector(SECTORS - 1, after);
	assert_memory_equal(before, after, 512);
	/* A sector number whose byte offset wraps around 64 bits. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, UINT64_MAX / 256, 512, true), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	assert_int_equal(request(VIRTIO_BLK_T_IN, UINT64_MAX, 512, true), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
}

static void test_read_only_disk(void **state)
{
	char spec[80];
	uint8_t before[512], after[512];
	blk_disk_close(&disk);
	snprintf(spec, sizeof(spec), "%s,ro", path);
	assert_int_equal(blk_disk_open(&disk, spec, err, sizeof(err)), 0);
	assert_true(disk.read_only);
	file_sector(1, before);
	memset(data, 'r', 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 1, 512, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	file_sector(1, after);
	assert_memory_equal(before, after, 512);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 1, 512, true), 513);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
}

static void test_unsupported_and_malformed(void **state)
{
	assert_int_equal(request(99, 0, 0, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_UNSUPP);
	/* A read whose data buffer the device may not write. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 0, 512, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	/* No status byte: nothing can be reported, nothing is written. */
	struct virtq_chain c = { .nbufs = 1 };
	c.bufs[0] = (struct virtq_buf){ &hdr, sizeof(hdr), false };
	assert_int_equal(blk_disk_request(&disk, &c), 0);
	c.nbufs = 2;
	c.bufs[1] = (struct virtq_buf){ &status, 1, false }; /* status not writable */
	assert_int_equal(blk_disk_request(&disk, &c), 0);
}

static void test_missing_file(void **state)
{
	struct blk_disk d;
	assert_int_equal(blk_disk_open(&d, "/nonexistent/disk.img", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--disk /nonexistent/disk.img: No such file or directory"));
	assert_int_equal(blk_disk_open(&d, "/tmp", err, sizeof(err)), -1);
}

/* --- framing: any split into descriptors is the same request (§2.6.4) --- */

/* Sector `sector` of the file equals `want`. */
static void assert_file_sector(uint64_t sector, const uint8_t *want)
{
	uint8_t got[512];
	file_sector(sector, got);
	assert_memory_equal(got, want, 512);
}

static void test_header_and_data_in_one_descriptor(void **state)
{
	uint8_t buf[sizeof(struct virtio_blk_req_hdr) + 512];
	struct virtio_blk_req_hdr h = { .type = VIRTIO_BLK_T_OUT, .sector = 2 };
	memcpy(buf, &h, sizeof(h));
	memset(buf + sizeof(h), 'H', 512);
	struct virtq_chain c = { .nbufs = 2 };
	c.bufs[0] = (struct virtq_buf){ buf, sizeof(buf), false };
	c.bufs[1] = (struct virtq_buf){ &status, 1, true };
	status = 0xee;
	assert_int_equal(blk_disk_request(&disk, &c), 1);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
	assert_file_sector(2, buf + sizeof(h));
}

static void test_data_and_status_in_one_descriptor(void **state)
{
	uint8_t buf[512 + 1], want[512];
	memset(buf, 0xee, sizeof(buf));
	struct virtq_chain c = { .nbufs = 2 };
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = 4 };
	c.bufs[0] = (struct virtq_buf){ &hdr, sizeof(hdr), false };
	c.bufs[1] = (struct virtq_buf){ buf, sizeof(buf), true };
	assert_int_equal(blk_disk_request(&disk, &c), 513);
	assert_int_equal(buf[512], VIRTIO_BLK_S_OK);
	file_sector(4, want);
	assert_memory_equal(buf, want, 512);
}

/* Header in two pieces, data in odd pieces, status behind data. */
static void test_odd_split(void **state)
{
	uint8_t a[5], b[700], d[324 + 1], want[1024];
	struct virtio_blk_req_hdr h = { .type = VIRTIO_BLK_T_OUT, .sector = 6 };
	uint8_t hb[sizeof(h)];
	memcpy(hb, &h, sizeof(h));
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i * 13 + 1);
	memcpy(a, hb, 5);
	memcpy(b, hb + 5, sizeof(h) - 5);
	memcpy(b + sizeof(h) - 5, want, sizeof(b) - (sizeof(h) - 5));
	size_t done = sizeof(b) - (sizeof(h) - 5);
	struct virtq_chain c = { .nbufs = 4 };
	c.bufs[0] = (struct virtq_buf){ a, 5, false };
	c.bufs[1] = (struct virtq_buf){ b, sizeof(b), false };
	c.bufs[2] = (struct virtq_buf){ want + done, (uint32_t)(sizeof(want) - done), false };
	c.bufs[3] = (struct virtq_buf){ &status, 1, true };
	status = 0xee;
	assert_int_equal(blk_disk_request(&disk, &c), 1);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
	assert_file_sector(6, want);
	assert_file_sector(7, want + 512);
	/* And back: header in one piece, data read into two, status alone. */
	memset(d, 0, sizeof(d));
	uint8_t e[700];
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = 6 };
	c = (struct virtq_chain){ .nbufs = 3 };
	c.bufs[0] = (struct virtq_buf){ &hdr, sizeof(hdr), false };
	c.bufs[1] = (struct virtq_buf){ e, sizeof(e), true };
	c.bufs[2] = (struct virtq_buf){ d, sizeof(d), true };
	assert_int_equal(blk_disk_request(&disk, &c), 1025);
	assert_int_equal(d[324], VIRTIO_BLK_S_OK);
	assert_memory_equal(e, want, sizeof(e));
	assert_memory_equal(d, want + sizeof(e), 324);
}

/* A readable buffer after a writable one breaks §2.7.4.1: refused whole,
 * nothing on disk, not even the part before the writable buffer. */
static void test_mixed_directions_change_nothing(void **state)
{
	uint8_t before[2][512], d1[512], d2[512], d3[512];
	file_sector(1, before[0]);
	file_sector(2, before[1]);
	memset(d1, 'A', 512);
	memset(d3, 'C', 512);
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_OUT, .sector = 1 };
	struct virtq_chain c = { .nbufs = 5 };
	c.bufs[0] = (struct virtq_buf){ &hdr, sizeof(hdr), false };
	c.bufs[1] = (struct virtq_buf){ d1, 512, false };
	c.bufs[2] = (struct virtq_buf){ d2, 512, true };
	c.bufs[3] = (struct virtq_buf){ d3, 512, false };
	c.bufs[4] = (struct virtq_buf){ &status, 1, true };
	status = 0xee;
	blk_disk_request(&disk, &c);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	assert_file_sector(1, before[0]);
	assert_file_sector(2, before[1]);
	/* A write with its data writable by the device: refused, nothing moved. */
	c.nbufs = 3;
	c.bufs[1] = (struct virtq_buf){ d1, 512, true };
	c.bufs[2] = (struct virtq_buf){ &status, 1, true };
	status = 0xee;
	assert_int_equal(blk_disk_request(&disk, &c), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	assert_file_sector(1, before[0]);
}

/* --- the file under the disk changes or is not a file --------------------- */

static void test_shrunk_file_is_an_error(void **state)
{
	struct stat st;
	assert_int_equal(truncate(path, 4 * 512), 0);
	assert_int_equal(request(VIRTIO_BLK_T_IN, 6, 512, true), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	memset(data, 'g', 512);
	assert_int_equal(request(VIRTIO_BLK_T_OUT, 6, 512, false), 1);
	assert_int_equal(status, VIRTIO_BLK_S_IOERR);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4 * 512); /* not grown back */
	/* What is still there still works. */
	assert_int_equal(request(VIRTIO_BLK_T_IN, 3, 512, true), 513);
	assert_int_equal(status, VIRTIO_BLK_S_OK);
}

static void test_fifo_refused_without_blocking(void **state)
{
	char fifo[sizeof(path) + 8];
	struct blk_disk d;
	snprintf(fifo, sizeof(fifo), "%s.fifo", path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	char spec[sizeof(fifo) + 4];
	snprintf(spec, sizeof(spec), "%s,ro", fifo);
	alarm(10); /* the old read-only open() blocked here forever */
	int rw = blk_disk_open(&d, fifo, err, sizeof(err));
	int ro = blk_disk_open(&d, spec, err, sizeof(err));
	alarm(0);
	unlink(fifo);
	assert_int_equal(rw, -1);
	assert_int_equal(ro, -1);
	assert_non_null(strstr(err, "not a regular file"));
}

/* --- the FILE[,ro] spec ---------------------------------------------------- */

/* A FILE of `n` bytes that exists, in a fresh directory. */
static void long_file(char *out, size_t n)
{
	char dir[] = "/tmp/exitlab-blk-long-XXXXXX";
	assert_non_null(mkdtemp(dir));
	size_t len = strlen(dir);
	memcpy(out, dir, len);
	out[len++] = '/';
	while (len < n) { /* components of up to 200 bytes */
		size_t c = n - len > 200 ? 200 : n - len;
		memset(out + len, 'd', c);
		len += c;
		out[len] = '\0';
		if (len < n) {
			assert_int_equal(mkdir(out, 0700), 0);
			out[len++] = '/';
		}
	}
	out[n] = '\0';
	FILE *f = fopen(out, "w");
	assert_non_null(f);
	fputs("0123456789", f);
	fclose(f);
	assert_int_equal(truncate(out, 4096), 0);
}

static void test_long_path_stays_read_only(void **state)
{
	char file[600], spec[620];
	struct blk_disk d;
	for (size_t n = 250; n <= 258; n++) { /* around the old 256-byte buffer */
		long_file(file, n);
		snprintf(spec, sizeof(spec), "%s,ro", file);
		assert_int_equal(blk_disk_open(&d, spec, err, sizeof(err)), 0);
		assert_true(d.read_only);
		assert_string_equal(d.path, file);
		blk_disk_close(&d);
	}
}

static void test_spec_options(void **state)
{
	char spec[160];
	struct blk_disk d;
	snprintf(spec, sizeof(spec), "%s,rw", path);
	assert_int_equal(blk_disk_open(&d, spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown option 'rw'"));
	snprintf(spec, sizeof(spec), "%s,ro,frob", path);
	assert_int_equal(blk_disk_open(&d, spec, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown option 'frob'"));
	/* ",," is a comma in the file name. */
	char comma[80];
	snprintf(comma, sizeof(comma), "%s,x", path);
	FILE *f = fopen(comma, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(spec, sizeof(spec), "%s,,x,ro", path);
	assert_int_equal(blk_disk_open(&d, spec, err, sizeof(err)), 0);
	assert_true(d.read_only);
	assert_string_equal(d.path, comma);
	blk_disk_close(&d);
	unlink(comma);
	/* A name longer than any path is refused by name, not cut. */
	char huge[5000];
	memset(huge, 'x', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(blk_disk_open(&d, huge, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--disk: the file name is 4999 bytes"));
}

/* 4 GiB - 1 bytes of data: with the status byte, more than a used
 * element's 32-bit length can say. Refused before any I/O (the data
 * buffers here are not even real). */
static void test_data_beyond_a_used_length(void **state)
{
	static uint8_t st;
	struct blk_disk big;
	char p[] = "/tmp/exitlab-blk-big-XXXXXX";
	int fd = mkstemp(p);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 5ll << 30), 0); /* sparse */
	close(fd);
	assert_int_equal(blk_disk_open(&big, p, err, sizeof(err)), 0);
	unlink(p);
	struct virtq_chain c = { .nbufs = 0 };
	hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = 0 };
	c.bufs[c.nbufs++] = (struct virtq_buf){ &hdr, sizeof(hdr), false };
	uint64_t left = UINT32_MAX; /* data bytes */
	while (left) {
		uint32_t n = left > (1u << 28) ? 1u << 28 : (uint32_t)left; /* 16 of them */
		c.bufs[c.nbufs++] = (struct virtq_buf){ (void *)(uintptr_t)0x1000, n, true };
		left -= n;
	}
	c.bufs[c.nbufs++] = (struct virtq_buf){ &st, 1, true };
	st = 0xee;
	assert_int_equal(blk_disk_request(&big, &c), 1);
	assert_int_equal(st, VIRTIO_BLK_S_IOERR);
	blk_disk_close(&big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_lands_in_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_only_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsupported_and_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_header_and_data_in_one_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_and_status_in_one_descriptor, setup, teardown),
		cmocka_unit_test_setup_teardown(test_odd_split, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mixed_directions_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrunk_file_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_refused_without_blocking, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_path_stays_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_beyond_a_used_length, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
