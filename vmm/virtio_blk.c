/*
 * virtio_blk.c - virtio-blk requests against a disk file (virtio_blk.h).
 *
 * A request is a byte stream, not a shape (§2.6.4: VIRTIO_F_VERSION_1
 * implies ANY_LAYOUT): the driver-readable bytes come first (a 16-byte
 * header, then the data of a write), the device-writable bytes after them
 * (the data of a read, then one status byte, the very last) (§5.2.6). How
 * the driver cuts that stream into descriptors is its business: the header
 * may share a descriptor with the data, the status may share one with the
 * data of a read. So we see the chain as two spans of bytes, readable and
 * writable, and do the I/O with preadv/pwritev over the pieces.
 *
 * Everything is checked before a byte moves: direction order, header and
 * status present, the type's own layout, the sector range (without
 * overflow), read-only-ness, and the file's size now (the host may have
 * shrunk it under us). A request refused changes nothing on disk; a
 * request that reports OK moved every byte it names. A flush is fdatasync,
 * so "flushed" means on the disk. Every failure is a status for the
 * guest, never a host error.
 *
 * The end of the file is the device as the virtio-pci transport sees it
 * (virtio_blk_ops, vpci.h): features, configuration, the request handler.
 */
#include "virtio_blk.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "errmsg.h"
#include "trace.h"
#include "vpci.h"

#define BLK_ID "exitlab-disk"

/* The size of what fd holds now: a regular file's length or a block
 * device's capacity. -1 for anything else. */
static int blk_file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -1 : 0;
	errno = EINVAL;
	return -1;
}

/* Splits "FILE[,ro][,queues=N][,serial=S]" into d->path and options;
 * ",," is a comma in FILE. */
static int blk_spec_parse(struct blk_disk *d, const char *spec, char *err, size_t errlen)
{
	size_t n = 0;
	const char *s = spec;

	for (; *s && !(s[0] == ',' && s[1] != ','); s++) {
		if (n + 1 == sizeof(d->path))
			return errmsg(err, errlen, "--disk: the file name is %zu bytes; at most %zu are allowed",
				      strcspn(spec, ","), sizeof(d->path) - 1);
		d->path[n++] = *s;
		if (s[0] == ',')
			s++; /* ",," */
	}
	d->path[n] = '\0';
	if (n == 0)
		return errmsg(err, errlen, "--disk '%s': no file name (give --disk FILE[,ro])", spec);
	while (*s == ',') {
		const char *opt = ++s;
		size_t len = strcspn(opt, ",");
		s += len;
		if (len == 2 && !strncmp(opt, "ro", 2)) {
			d->read_only = true;
		} else if (len > 7 && !strncmp(opt, "queues=", 7)) {
			char *end;
			unsigned long q = strtoul(opt + 7, &end, 10);
			if (end != opt + len || !isdigit((unsigned char)opt[7]) || q < 1 || q > VIRTIO_BLK_MQ_MAX)
				return errmsg(err, errlen, "--disk %s: queues=%.*s: give a number from 1 to %d", d->path,
					      (int)(len - 7), opt + 7, VIRTIO_BLK_MQ_MAX);
			d->queues = (unsigned)q;
		} else if (len >= 7 && !strncmp(opt, "serial=", 7)) {
			if (len - 7 > VIRTIO_BLK_ID_BYTES || len == 7)
				return errmsg(err, errlen, "--disk %s: serial=%.*s: give 1 to %d characters (GET_ID's field)",
					      d->path, (int)(len - 7), opt + 7, VIRTIO_BLK_ID_BYTES);
			memcpy(d->serial, opt + 7, len - 7);
			d->serial[len - 7] = '\0';
		} else {
			return errmsg(err, errlen, "--disk %s: unknown option '%.*s' (known: ro, queues=N, serial=S)",
				      d->path, (int)len, opt);
		}
	}
	return 0;
}

int blk_disk_open(struct blk_disk *d, const char *spec, char *err, size_t errlen)
{
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->fd = -1;
	if (blk_spec_parse(d, spec, err, errlen))
		return -1;
	/* O_NONBLOCK: a FIFO must be refused, not waited on for a writer. */
	d->fd = open(d->path, (d->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (d->fd < 0)
		return errmsg(err, errlen, "--disk %s: %s%s", d->path, strerror(errno),
			      errno == ENOENT ? " (create it first, e.g. truncate -s 1M FILE)" : "");
	if (fstat(d->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		blk_disk_close(d);
		return errmsg(err, errlen, "--disk %s: not a regular file or block device", d->path);
	}
	if (fcntl(d->fd, F_SETFL, 0) < 0 || blk_file_size(d->fd, &d->size) < 0) {
		blk_disk_close(d);
		return errmsg(err, errlen, "--disk %s: cannot find its size: %s", d->path, strerror(errno));
	}
	d->sectors = d->size / VIRTIO_BLK_SECTOR_SIZE;
	return 0;
}

void blk_disk_close(struct blk_disk *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

/* --- the request as two spans of bytes ------------------------------------ */

struct blk_span {
	const struct virtq_buf *b;
	unsigned n;
	uint64_t len;
};

/* iovecs for bytes [skip, skip + len) of a span; returns how many. */
static unsigned blk_span_iov(const struct blk_span *s, uint64_t skip, uint64_t len, struct iovec *iov)
{
	unsigned k = 0;

	for (unsigned i = 0; i < s->n && len; i++) {
		if (skip >= s->b[i].len) {
			skip -= s->b[i].len;
			continue;
		}
		uint64_t take = s->b[i].len - skip < len ? s->b[i].len - skip : len;
		iov[k++] = (struct iovec){ (uint8_t *)s->b[i].base + skip, (size_t)take };
		len -= take;
		skip = 0;
	}
	return k;
}

/* Copies bytes [skip, skip + len) of a span to or from buf. */
static void blk_span_copy(const struct blk_span *s, uint64_t skip, void *buf, size_t len, bool to_span)
{
	struct iovec iov[VIRTQ_CHAIN_MAX];
	unsigned k = blk_span_iov(s, skip, len, iov);
	uint8_t *p = buf;

	for (unsigned i = 0; i < k; p += iov[i].iov_len, i++)
		to_span ? memcpy(iov[i].iov_base, p, iov[i].iov_len) : memcpy(p, iov[i].iov_base, iov[i].iov_len);
}

/* Moves len bytes between the span's bytes from skip on and the disk at
 * off, all of them or it fails. */
static int blk_span_io(struct blk_disk *d, const struct blk_span *s, uint64_t skip, uint64_t len, uint64_t off,
		       bool to_disk)
{
	struct iovec iov[VIRTQ_CHAIN_MAX];

	while (len) {
		unsigned k = blk_span_iov(s, skip, len, iov);
		ssize_t r = to_disk ? pwritev(d->fd, iov, (int)k, (off_t)off) : preadv(d->fd, iov, (int)k, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1; /* an error, or the end of a file shorter than it was */
		skip += (uint64_t)r;
		off += (uint64_t)r;
		len -= (uint64_t)r;
	}
	return 0;
}

/* Do bytes [off, off + len) lie on the disk as announced, and in the file
 * as it is now? The host may have shrunk the file while the VM runs. */
static bool blk_in_range(struct blk_disk *d, uint64_t sector, uint64_t len)
{
	uint64_t n = (len + VIRTIO_BLK_SECTOR_SIZE - 1) / VIRTIO_BLK_SECTOR_SIZE, now = 0;

	if (len > UINT32_MAX - 1 || sector > d->sectors || n > d->sectors - sector)
		return false; /* data and status byte: a used element's length is 32 bits */
	uint64_t end = sector * VIRTIO_BLK_SECTOR_SIZE + len;
	if (blk_file_size(d->fd, &now) < 0 || now < end) {
		if (!d->shrink_reported) {
			fprintf(stderr, "vmm: --disk %s: now %llu bytes, %llu when the VM started: requests past its end fail (the host changed the file)\n",
				d->path, (unsigned long long)now, (unsigned long long)d->size);
			d->shrink_reported = true;
		}
		return false;
	}
	return true;
}

/* The request as the trace shows it: type, sector, bytes, status. */
static void blk_trace_request(const struct virtio_blk_req_hdr *h, uint64_t rlen, uint64_t wdata, uint8_t s)
{
	static const char *const types[] = { [VIRTIO_BLK_T_IN] = "IN (read)", [VIRTIO_BLK_T_OUT] = "OUT (write)",
					     [VIRTIO_BLK_T_FLUSH] = "FLUSH", [VIRTIO_BLK_T_GET_ID] = "GET_ID" };
	static const char *const statuses[] = { [VIRTIO_BLK_S_OK] = "OK", [VIRTIO_BLK_S_IOERR] = "IOERR",
						[VIRTIO_BLK_S_UNSUPP] = "UNSUPP" };
	const char *t = h->type < sizeof(types) / sizeof(types[0]) && types[h->type] ? types[h->type] : NULL;
	uint64_t bytes = h->type == VIRTIO_BLK_T_OUT && rlen >= sizeof(*h) ? rlen - sizeof(*h) : wdata;

	if (h->type == UINT32_MAX)
		trace_emit(TRACE_IOTHREAD, "virtio-blk request malformed: status %s", statuses[s]);
	else if (t)
		trace_emit(TRACE_IOTHREAD, "virtio-blk request %s sector %llu bytes %llu: status %s", t,
			   (unsigned long long)h->sector, (unsigned long long)bytes, statuses[s]);
	else
		trace_emit(TRACE_IOTHREAD, "virtio-blk request type %u: status %s", h->type, statuses[s]);
}

uint32_t blk_disk_request(struct blk_disk *d, const struct virtq_chain *c)
{
	struct blk_span rd = { c->bufs, 0, 0 }, wr = { NULL, 0, 0 };
	struct virtio_blk_req_hdr h = { .type = UINT32_MAX };
	unsigned i = 0;

	/* The readable descriptors, then the writable ones (§2.7.4.1). */
	for (; i < c->nbufs && !c->bufs[i].writable; i++)
		rd.len += c->bufs[rd.n++].len;
	wr.b = c->bufs + i;
	for (; i < c->nbufs && c->bufs[i].writable; i++)
		wr.len += c->bufs[i].len, wr.n++;
	bool mixed = i < c->nbufs;
	if (wr.len == 0 || c->bufs[c->nbufs - 1].len == 0 || !c->bufs[c->nbufs - 1].writable) {
		d->errors++;
		guest_error("virtio-blk: malformed request (head %u, %u buffers): no status byte at its end", c->head,
			    c->nbufs);
		return 0;
	}
	const struct virtq_buf *last = &c->bufs[c->nbufs - 1];
	uint8_t *status = (uint8_t *)last->base + last->len - 1;
	uint8_t s = VIRTIO_BLK_S_IOERR;
	uint32_t written = 0;
	uint64_t wdata = wr.len - 1; /* writable bytes before the status */

	if (mixed || rd.len < sizeof(h)) {
		guest_error("virtio-blk: malformed request (head %u, %u buffers): %s", c->head, c->nbufs,
			    mixed ? "a device-readable buffer after a writable one" : "no 16-byte header");
		goto done;
	}
	blk_span_copy(&rd, 0, &h, sizeof(h), false); /* one copy: the guest may change it under us */
	uint64_t rdata = rd.len - sizeof(h);         /* readable bytes after the header */

	switch (h.type) {
	case VIRTIO_BLK_T_IN:
		if (rdata || !blk_in_range(d, h.sector, wdata))
			break;
		if (blk_span_io(d, &wr, 0, wdata, h.sector * VIRTIO_BLK_SECTOR_SIZE, false) == 0) {
			s = VIRTIO_BLK_S_OK;
			written = (uint32_t)wdata;
		}
		d->reads++;
		break;
	case VIRTIO_BLK_T_OUT:
		if (wdata || d->read_only || !blk_in_range(d, h.sector, rdata))
			break;
		if (blk_span_io(d, &rd, sizeof(h), rdata, h.sector * VIRTIO_BLK_SECTOR_SIZE, true) == 0)
			s = VIRTIO_BLK_S_OK;
		d->writes++;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!rdata && !wdata && fdatasync(d->fd) == 0)
			s = VIRTIO_BLK_S_OK;
		d->flushes++;
		break;
	case VIRTIO_BLK_T_GET_ID: { /* up to 20 bytes, zero-padded (§5.2.6) */
		char id[VIRTIO_BLK_ID_BYTES] = { 0 };
		memcpy(id, d->serial[0] ? d->serial : BLK_ID, d->serial[0] ? strlen(d->serial) : sizeof(BLK_ID) - 1);
		if (rdata || wdata == 0)
			break;
		written = (uint32_t)(wdata < sizeof(id) ? wdata : sizeof(id));
		blk_span_copy(&wr, 0, id, written, true);
		s = VIRTIO_BLK_S_OK;
		break;
	}
	default:
		s = VIRTIO_BLK_S_UNSUPP;
		break;
	}
done:
	if (s != VIRTIO_BLK_S_OK)
		d->errors++;
	if (trace_on(TRACE_IOTHREAD))
		blk_trace_request(&h, rd.len, wdata, s);
	*status = s;
	return written + 1;
}

/* --- the device, for the virtio-pci transport --------------------------------- */

static uint64_t blk_features(void *ctx)
{
	const struct blk_disk *d = ctx;
	return 1ull << VIRTIO_BLK_F_FLUSH | (d->read_only ? 1ull << VIRTIO_BLK_F_RO : 0) |
	       (d->queues > 1 ? 1ull << VIRTIO_BLK_F_MQ : 0);
}

static unsigned blk_queues(void *ctx)
{
	const struct blk_disk *d = ctx;
	return d->queues > 1 ? d->queues : 1;
}

/* §5.2.4: capacity in 512-byte sectors; seg_max (VIRTIO_BLK_F_SEG_MAX is not
 * offered, but the field is where a driver looks) leaves room for the
 * header and the status. */
static unsigned blk_config(void *ctx, uint8_t *cfg, unsigned max)
{
	const struct blk_disk *d = ctx;
	struct virtio_blk_config c = { .capacity = d->sectors, .seg_max = VIRTQ_CHAIN_MAX - 2,
				       .num_queues = (uint16_t)blk_queues(ctx) };
	_Static_assert(sizeof(c) <= VPCI_DEVICE_CFG_MAX, "virtio_blk_config fits the device page");
	if (max < sizeof(c))
		return 0;
	memcpy(cfg, &c, sizeof(c));
	return max; /* the rest reads as zeros */
}

static uint32_t blk_request(void *ctx, unsigned qi, const struct virtq_chain *c)
{
	return blk_disk_request(ctx, c);
}

const struct vpci_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.type = VIRTIO_ID_BLOCK,
	.class_code = 0x018000, /* mass storage, other */
	.queues = blk_queues,   /* §5.2.2: requestq, or num_queues of them with VIRTIO_BLK_F_MQ */
	.features = blk_features,
	.config = blk_config,
	.request = blk_request,
};
