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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
