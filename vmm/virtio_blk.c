/*
 * virtio_blk.c - virtio-blk requests against a disk file (virtio_blk.h).
 *
 * A request chain is: a 16-byte header the device reads (type, sector),
 * data buffers (device-writable for a read, readable for a write), and one
 * device-writable status byte at the very end (§5.2.6). We expect the
 * framing every driver we know uses (Linux, QEMU's tests, ours): the header
 * in the first descriptor, the status alone in the last one. We check that
 * shape, the sector range (without overflow) and read-only-ness, then do
 * the I/O with pread/pwrite; a flush is fdatasync, so "flushed" means on
 * the disk. Every failure is a status for the guest, never a host error.
 */
#include "virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"

int blk_disk_open(struct blk_disk *d, const char *spec, char *err, size_t errlen)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	snprintf(d->path, sizeof(d->path), "%s", spec);
	size_t n = strlen(d->path);
	if (n > 3 && !strcmp(d->path + n - 3, ",ro")) {
		d->path[n - 3] = '\0';
		d->read_only = true;
	}
	d->fd = open(d->path, (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (d->fd < 0)
		return errmsg(err, errlen, "--disk %s: %s%s", d->path, strerror(errno),
			      errno == ENOENT ? " (create it first, e.g. truncate -s 1M FILE)" : "");
	if (fstat(d->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		blk_disk_close(d);
		return errmsg(err, errlen, "--disk %s: not a regular file", d->path);
	}
	d->sectors = (uint64_t)st.st_size / VIRTIO_BLK_SECTOR_SIZE;
	return 0;
}

void blk_disk_close(struct blk_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* Does [sector, sector + bytes/512) lie on the disk? */
static bool blk_in_range(const struct blk_disk *d, uint64_t sector, uint64_t bytes)
{
	uint64_t n = (bytes + VIRTIO_BLK_SECTOR_SIZE - 1) / VIRTIO_BLK_SECTOR_SIZE;
	return sector <= d->sectors && n <= d->sectors - sector;
}

uint32_t blk_disk_request(struct blk_disk *d, const struct virtq_chain *c)
{
	struct virtio_blk_req_hdr h;
	uint32_t written = 0;

	if (c->nbufs < 2)
		goto malformed;
	const struct virtq_buf *status = &c->bufs[c->nbufs - 1];
	if (c->bufs[0].writable || c->bufs[0].len < sizeof(h) || !status->writable ||
	    status->len < 1) {
malformed:
		d->errors++;
		guest_error("virtio-blk: malformed request (head %u, %u buffers): no header or status", c->head,
			    c->nbufs);
		return 0;
	}
	memcpy(&h, c->bufs[0].base, sizeof(h));
	uint8_t s = VIRTIO_BLK_S_OK;
	off_t off = (off_t)(h.sector * VIRTIO_BLK_SECTOR_SIZE);
	uint64_t total = 0;
	for (unsigned i = 1; i + 1 < c->nbufs; i++)
		total += c->bufs[i].len;

	switch (h.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool in = h.type == VIRTIO_BLK_T_IN;
		if (!blk_in_range(d, h.sector, total) || (!in && d->read_only)) {
			s = VIRTIO_BLK_S_IOERR;
			break;
		}
		for (unsigned i = 1; i + 1 < c->nbufs && s == VIRTIO_BLK_S_OK; i++) {
			const struct virtq_buf *b = &c->bufs[i];
			if (b->writable != in) { /* a read into a read-only buffer, or the reverse */
				s = VIRTIO_BLK_S_IOERR;
				break;
			}
			ssize_t r = in ? pread(d->fd, b->base, b->len, off) : pwrite(d->fd, b->base, b->len, off);
			if (r != (ssize_t)b->len) {
				if (in && r >= 0) /* past the end of a file not a whole number of sectors */
					memset((char *)b->base + r, 0, b->len - (size_t)r);
				else
					s = VIRTIO_BLK_S_IOERR;
			}
			off += b->len;
			if (in)
				written += b->len;
		}
		in ? d->reads++ : d->writes++;
		break;
	}
	case VIRTIO_BLK_T_FLUSH:
		s = fdatasync(d->fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
		d->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (c->nbufs == 3 && c->bufs[1].writable) {
			uint32_t n = c->bufs[1].len < 20 ? c->bufs[1].len : 20;
			memset(c->bufs[1].base, 0, n);
			memcpy(c->bufs[1].base, "exitlab-disk", n < 12 ? n : 12);
			written += n;
		} else {
			s = VIRTIO_BLK_S_IOERR;
		}
		break;
	default:
		s = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	if (s != VIRTIO_BLK_S_OK)
		d->errors++;
	*(uint8_t *)status->base = s;
	return written + 1;
}
