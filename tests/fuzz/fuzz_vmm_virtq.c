/*
 * fuzz_vmm_virtq.c - libFuzzer target for the VMM's view of a hostile
 * guest's virtqueue: vmm/virtq.c walking rings whose every byte the input
 * chooses, and vmm/virtio_blk.c serving the chains against a scratch disk.
 *
 * The input's first bytes set the queue size and where the three rings lie
 * (aligned, or as given: misaligned rings too); the rest fills guest RAM (a 64 KiB heap block of exactly that size, so
 * ASan flags any access outside it). Every buffer a chain hands to the
 * device must lie inside guest RAM; a violation traps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "virtio_blk.h"
#include "virtq.h"
#include "vmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define RAM 16384
#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct blk_disk disk;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[] = "/tmp/exitlab-fuzz-disk-XXXXXX", err[256];
	int fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, 16 * 512) || blk_disk_open(&disk, path, err, sizeof(err)))
		abort();
	close(fd);
	unlink(path); /* the open descriptor keeps it */
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1, .ram_size = RAM };
	struct virtq q = { .name = "fuzz queue" };
	struct virtq_chain c;
	uint16_t hdr[4] = { 0 };

	if (size < sizeof(hdr))
		return 0;
	memcpy(hdr, data, sizeof(hdr));
	vm.ram = malloc(RAM);
	for (size_t i = 0; i < RAM; i++)
		vm.ram[i] = size > sizeof(hdr) ? data[sizeof(hdr) + i % (size - sizeof(hdr))] : 0;
	/* The top bit of the size word: ring addresses as given, misaligned
	 * too (virtq_enable must refuse them), instead of scaled to alignment. */
	bool raw = hdr[0] & 0x8000;
	q.size = hdr[0] & 0x7fff;
	q.desc_gpa = raw ? hdr[1] : hdr[1] * 16u;
	q.avail_gpa = raw ? hdr[2] : hdr[2] * 2u;
	q.used_gpa = raw ? hdr[3] : hdr[3] * 4u;
	q.max_size = 256;
	if (virtq_enable(&q, &vm) == 0) {
		for (int round = 0; round < 64; round++) {
			int r = virtq_pop(&q, &vm, &c);
			if (r <= 0)
				break;
			for (unsigned i = 0; i < c.nbufs; i++) {
				uint8_t *b = c.bufs[i].base;
				CHECK(b >= vm.ram && b <= vm.ram + RAM && c.bufs[i].len <= (uint64_t)(vm.ram + RAM - b));
			}
			virtq_push(&q, c.head, blk_disk_request(&disk, &c));
		}
	}
	free(vm.ram);
	return 0;
}
