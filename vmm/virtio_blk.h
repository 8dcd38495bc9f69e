/*
 * virtio_blk.h - the virtio-blk request engine (virtio 1.x §5.2): a disk
 * file, and the handling of one request chain against it. Transport-free,
 * so the unit tests drive it with chains built in a buffer.
 */
#ifndef VMM_VIRTIO_BLK_H
#define VMM_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>

#include "virtq.h"

struct blk_disk {
	int fd;
	bool read_only;
	bool shrink_reported; /* the host shrank the file: said once */
	unsigned queues;      /* ,queues=N: request queues (VIRTIO_BLK_F_MQ when > 1) */
	char serial[VIRTIO_BLK_ID_BYTES + 1]; /* ,serial=S: what GET_ID answers */
	uint64_t size;        /* bytes when opened */
	uint64_t sectors;     /* capacity in 512-byte sectors (size rounded down) */
	char path[PATH_MAX];
	uint64_t reads, writes, flushes, errors;
};

/* Parses "FILE[,ro][,queues=N][,serial=S]" (",," is a comma in FILE; any other option is
 * refused, and so is a FILE too long to keep) and opens FILE, a regular
 * file or a block device. Returns 0, or -1 with a message. */
int blk_disk_open(struct blk_disk *d, const char *spec, char *err, size_t errlen);
void blk_disk_close(struct blk_disk *d);
/* Carries out one request, however its bytes are cut into descriptors;
 * returns the bytes written into the chain (data read + the status byte),
 * 0 if the chain has no status byte to write into (reported, nothing
 * written). */
uint32_t blk_disk_request(struct blk_disk *d, const struct virtq_chain *c);

#endif
