/*
 * blk.c - the virtio-blk driver (virtio 1.x §5.2) and its actions,
 * blk.read=, blk.write=, blk.flush, plus the disk benchmarks' hooks.
 *
 * One request at a time, each a chain of three buffers (§5.2.6): the
 * header the device reads (type, sector), the data (read or written by
 * the device, 512 bytes a sector; none for a flush), and the status byte
 * the device writes. The buffers are static and identity-mapped: what the
 * descriptors hold is their address as the device must see it.
 *
 * Which disk and which queue: the first usable virtio-blk function on the
 * bus, queue 0, unless blk.disk= names another disk (then that one is
 * driven, the other reset) and blk.queue= another queue for the disk
 * benchmarks, so that a sweep can time the last queue of a 64-queue disk
 * (its own notify address and ioeventfd) or the last of eight disks.
 */
#include "blk.h"

#include "exitlab_abi.h"
#include "lib.h"
#include "pci_access.h"
#include "virtio_transport.h"

struct virtio_dev blk_dev = { .v = { .name = "virtio-blk", .type = VIRTIO_ID_BLOCK },
			      .vector = VIRTIO_VECTOR_BLK, .reads_device_cfg = true,
			      .wanted = 1ull << VIRTIO_BLK_F_FLUSH | 1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_MQ };

/* Device-visible memory, outside BSS: nothing to clear at boot. */
static struct virtio_blk_req_hdr req_hdr NOINIT_DMA;
static uint8_t req_data[4096] NOINIT_DMA;
static uint8_t req_status NOINIT_DMA;

/* One virtio-blk request on req_hdr/req_data/req_status, through queue qi. */
static int blk_request_q(unsigned qi, uint32_t type, uint64_t sector, uint32_t nbytes, bool data_in)
{
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	req_hdr = (struct virtio_blk_req_hdr){ .type = type, .sector = sector };
	req_status = 0xff;
	struct gvbuf bufs[3] = { { &req_hdr, sizeof(req_hdr), false } };
	unsigned n = 1;
	if (nbytes)
		bufs[n++] = (struct gvbuf){ req_data, nbytes, data_in };
	bufs[n++] = (struct gvbuf){ &req_status, 1, true };
	if (gvirtio_request_q(&d->v, qi, bufs, n) < 0) {
		d->started = false; /* a late completion must not be taken for the next one: reset first */
		return EXITLAB_EXIT_FAIL;
	}
	if (req_status != VIRTIO_BLK_S_OK) {
		printf("error: virtio-blk: sector %lu: device status %s\n", sector,
		       req_status == VIRTIO_BLK_S_IOERR	 ? "VIRTIO_BLK_S_IOERR"
		       : req_status == VIRTIO_BLK_S_UNSUPP ? "VIRTIO_BLK_S_UNSUPP"
							   : "(not set)");
		return EXITLAB_EXIT_FAIL;
	}
	return EXITLAB_EXIT_OK;
}

int blk_request(uint32_t type, uint64_t sector, uint32_t nbytes, bool data_in)
{
	return blk_request_q(0, type, sector, nbytes, data_in);
}

/* What the disk allows, checked before a request is sent: a write to a
 * disk the device calls read-only (VIRTIO_BLK_F_RO, §5.2.3), or a sector
 * past its capacity (§5.2.4), is refused here, not left to the device. */
static bool unchecked; /* blk.check=0: send them anyway, to see the device refuse */

static int blk_check(const char *action, uint64_t sector, bool writes)
{
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	if (unchecked)
		return EXITLAB_EXIT_OK;
	if (writes && (d->v.features & (1ull << VIRTIO_BLK_F_RO))) {
		printf("error: %s: the disk is read-only (VIRTIO_BLK_F_RO): nothing sent\n", action);
		return EXITLAB_EXIT_FAIL;
	}
	uint64_t capacity = gvirtio_config_read(&d->v, offsetof(struct virtio_blk_config, capacity), 8);
	if (sector >= capacity) {
		printf("error: %s: sector %lu is past the end (%lu sectors): nothing sent\n", action, sector, capacity);
		return EXITLAB_EXIT_FAIL;
	}
	return EXITLAB_EXIT_OK;
}

int blk_check_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "0", "1" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse("blk.check", val, len, WORDS(words));
	if (!dry_run)
		unchecked = k == 0;
	return EXITLAB_EXIT_OK;
}

static void blk_report(const char *what, uint64_t sector)
{
	printf("blk: %s sector %lu ok (irq=%s, interrupts %u)\n", what, sector, virtio_irq_name(), blk_dev.v.irqs);
}

/* One sector through queue 0 for blk.read/blk.write (req_data filled for
 * a write), after blk_check(); nothing at all on a dry run. */
static int blk_sector_action(const char *action, uint64_t sector, bool writes, bool dry_run)
{
	if (dry_run)
		return EXITLAB_EXIT_OK;
	int rc = blk_check(action, sector, writes);
	if (rc)
		return rc;
	return blk_request(writes ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, sector, VIRTIO_BLK_SECTOR_SIZE, !writes);
}

int blk_read_action(const char *val, size_t len, bool dry_run)
{
	uint64_t sector;
	if (!parse_u64(val, len, &sector)) {
		printf("error: blk.read: '%.*s' is not a sector number\n", (int)len, val);
		return EXITLAB_EXIT_USAGE;
	}
	int rc = blk_sector_action("blk.read", sector, false, dry_run);
	if (rc || dry_run)
		return rc;
	for (unsigned off = 0; off < VIRTIO_BLK_SECTOR_SIZE; off += 16) {
		char hex[16 * 3 + 1], text[17];
		for (unsigned i = 0; i < 16; i++) {
			uint8_t b = req_data[off + i];
			snprintf(hex + 3 * i, 4, "%02x ", b);
			text[i] = b >= 0x20 && b < 0x7f ? (char)b : '.';
		}
		text[16] = '\0';
		printf("blk %lu: %03x: %s |%s|\n", sector, off, hex, text);
	}
	blk_report("read", sector);
	return EXITLAB_EXIT_OK;
}

int blk_write_action(const char *val, size_t len, bool dry_run)
{
	size_t colon = 0;
	uint64_t sector;
	while (colon < len && val[colon] != ':')
		colon++;
	if (colon == len || !parse_u64(val, colon, &sector) || len - colon - 1 > VIRTIO_BLK_SECTOR_SIZE) {
		printf("error: blk.write: '%.*s' is not SECTOR:TEXT (TEXT at most 512 bytes)\n", (int)len, val);
		return EXITLAB_EXIT_USAGE;
	}
	if (!dry_run) {
		memset(req_data, 0, VIRTIO_BLK_SECTOR_SIZE);
		memcpy(req_data, val + colon + 1, len - colon - 1);
	}
	int rc = blk_sector_action("blk.write", sector, true, dry_run);
	if (!rc && !dry_run)
		blk_report("wrote", sector);
	return rc;
}

int blk_flush_action(const char *val, size_t len, bool dry_run)
{
	if (dry_run)
		return EXITLAB_EXIT_OK;
	virtio_dev_probe();
	if (blk_dev.found && !(virtio_dev_get(&blk_dev) && (blk_dev.v.features & (1ull << VIRTIO_BLK_F_FLUSH)))) {
		printf("error: blk.flush: the device does not offer VIRTIO_BLK_F_FLUSH\n");
		return EXITLAB_EXIT_FAIL;
	}
	int rc = blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	if (!rc)
		printf("blk: flush ok (irq=%s, interrupts %u)\n", virtio_irq_name(), blk_dev.v.irqs);
	return rc;
}

/* blk.queues=N: how many request queues the driver sets up, of those the
 * device has (VIRTIO_BLK_F_MQ, §5.2.5); 1 at boot. Restarts the device. */
int blk_queues_action(const char *val, size_t len, bool dry_run)
{
	uint64_t n;
	if (!parse_u64_in("blk.queues", val, len, 1, GVIRTIO_QUEUES_MAX, &n))
		return EXITLAB_EXIT_USAGE;
	if (!dry_run) {
		blk_dev.v.queues_wanted = (unsigned)n;
		blk_dev.started = false;
	}
	return EXITLAB_EXIT_OK;
}

/* "last" or a number from 0 to max, for blk.disk= and blk.queue=. */
#define BLK_LAST (~0u)
static bool blk_parse_index(const char *what, const char *val, size_t len, unsigned max, unsigned *out)
{
	static const char *const words[] = { "last" };
	uint64_t n;

	if (word_find(val, len, WORDS(words)) == 0) {
		*out = BLK_LAST;
		return true;
	}
	if (parse_u64(val, len, &n) && n <= max) {
		*out = (unsigned)n;
		return true;
	}
	printf("error: %s: '%.*s' is not 'last' or a number from 0 to %u\n", what, (int)len, val, max);
	return false;
}

/* blk.disk=N|last: drive the N-th virtio-blk function in bus-walk order
 * (0 the first), or the last; the one driven before is reset. */
#define BLK_DISKS_MAX 255
int blk_disk_action(const char *val, size_t len, bool dry_run)
{
	unsigned which;
	if (!blk_parse_index("blk.disk", val, len, BLK_DISKS_MAX, &which))
		return EXITLAB_EXIT_USAGE;
	if (dry_run)
		return EXITLAB_EXIT_OK;
	_Static_assert(BLK_LAST == VIRTIO_DEV_LAST, "blk.disk=last is the transport's last");
	return virtio_dev_choose(&blk_dev, which) ? EXITLAB_EXIT_FAIL : EXITLAB_EXIT_OK;
}

/* blk.queue=N|last: the queue the disk benchmarks use (0 at boot); one
 * the driver did not set up (blk.queues=) skips them, saying so. */
static unsigned bench_queue_opt; /* as given: a queue or BLK_LAST */
static unsigned bench_q;         /* resolved at each benchmark's prepare */

int blk_queue_action(const char *val, size_t len, bool dry_run)
{
	unsigned q;
	if (!blk_parse_index("blk.queue", val, len, GVIRTIO_QUEUES_MAX - 1, &q))
		return EXITLAB_EXIT_USAGE;
	if (!dry_run)
		bench_queue_opt = q;
	return EXITLAB_EXIT_OK;
}

/* blk.mq=TEXT: through each queue q the driver set up, writes "TEXT q" to
 * sector q; then reads each sector back through another queue (q + 1,
 * wrapping) and checks it, so every queue carried a write and a read. */
int blk_mq_action(const char *val, size_t len, bool dry_run)
{
	char line[64];
	if (len == 0 || len > 40) {
		printf("error: blk.mq: give a TEXT of 1 to 40 bytes\n");
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	unsigned nq = d->v.nvq;
	for (unsigned q = 0; q < nq; q++) {
		int rc = blk_check("blk.mq", q, true);
		if (rc)
			return rc;
		memset(req_data, 0, VIRTIO_BLK_SECTOR_SIZE);
		snprintf((char *)req_data, VIRTIO_BLK_SECTOR_SIZE, "%.*s %u", (int)len, val, q);
		if ((rc = blk_request_q(q, VIRTIO_BLK_T_OUT, q, VIRTIO_BLK_SECTOR_SIZE, false)))
			return rc;
	}
	for (unsigned q = 0; q < nq; q++) {
		unsigned via = (q + 1) % nq;
		int rc = blk_request_q(via, VIRTIO_BLK_T_IN, q, VIRTIO_BLK_SECTOR_SIZE, true);
		if (rc)
			return rc;
		snprintf(line, sizeof(line), "%.*s %u", (int)len, val, q);
		if (strncmp((const char *)req_data, line, sizeof(line))) {
			printf("error: blk.mq: sector %u read through queue %u is not '%s'\n", q, via, line);
			return EXITLAB_EXIT_FAIL;
		}
	}
	printf("blk: mq: %u queue%s (device has %u): sector q written through queue q, read back through queue q+1: ok "
	       "(notifies %u, skipped %u)\n", nq, nq == 1 ? "" : "s",
	       (unsigned)gvirtio_config_read(&d->v, offsetof(struct virtio_blk_config, num_queues), 2), d->v.notifies,
	       d->v.notifies_skipped);
	return EXITLAB_EXIT_OK;
}

/* blk.id: the device's ID string (VIRTIO_BLK_T_GET_ID, 20 bytes, §5.2.6). */
int blk_id_action(const char *val, size_t len, bool dry_run)
{
	if (dry_run)
		return EXITLAB_EXIT_OK;
	memset(req_data, 0, VIRTIO_BLK_ID_BYTES + 1);
	int rc = blk_request(VIRTIO_BLK_T_GET_ID, 0, VIRTIO_BLK_ID_BYTES, true);
	if (rc)
		return rc;
	printf("blk: id '");
	for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && req_data[i]; i++)
		printf("%c", req_data[i] >= 0x20 && req_data[i] < 0x7f ? req_data[i] : '.');
	printf("'\n");
	return EXITLAB_EXIT_OK;
}

/* Device-visible buffers for up to BLK_BATCH requests in flight at once. */
#define BLK_BATCH 8
static struct virtio_blk_req_hdr batch_hdr[BLK_BATCH] NOINIT_DMA;
static uint8_t batch_data[BLK_BATCH][VIRTIO_BLK_SECTOR_SIZE] NOINIT_DMA;
static uint8_t batch_status[BLK_BATCH] NOINIT_DMA;

/* Read request i of a batch (sector i) into descriptors 3i .. 3i + 2 of queue qi. */
static int batch_add(struct gvirtio *v, unsigned qi, unsigned i)
{
	batch_hdr[i] = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN, .sector = i };
	batch_status[i] = 0xff;
	struct gvbuf bufs[3] = { { &batch_hdr[i], sizeof(batch_hdr[i]), false },
				 { batch_data[i], VIRTIO_BLK_SECTOR_SIZE, true },
				 { &batch_status[i], 1, true } };
	return gvirtio_add(v, qi, bufs, 3, (uint16_t)(3 * i));
}

static int batch_check(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (batch_status[i] != VIRTIO_BLK_S_OK) {
			printf("error: virtio-blk: request %u of the batch: device status %u\n", i, batch_status[i]);
			return EXITLAB_EXIT_FAIL;
		}
	return EXITLAB_EXIT_OK;
}

/* blk.burst=K: K reads (sectors 0 .. K-1), each added and kicked on its
 * own without waiting, then all awaited: how many kicks notified is what
 * the device's avail_event (EVENT_IDX) or VIRTQ_USED_F_NO_NOTIFY allowed. */
int blk_burst_action(const char *val, size_t len, bool dry_run)
{
	uint64_t k;
	if (!parse_u64_in("blk.burst", val, len, 1, BLK_BATCH, &k))
		return EXITLAB_EXIT_USAGE;
	if (dry_run)
		return EXITLAB_EXIT_OK;
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	struct gvirtio *v = &d->v;
	uint32_t n0 = v->notifies, s0 = v->notifies_skipped, i0 = v->irqs;
	for (unsigned i = 0; i < k; i++) {
		if (batch_add(v, 0, i))
			return EXITLAB_EXIT_FAIL;
		gvirtio_kick(v, 0);
	}
	if (gvirtio_wait(v, 0, (unsigned)k))
		return EXITLAB_EXIT_FAIL;
	int rc = batch_check((unsigned)k);
	if (!rc)
		printf("blk: burst of %lu: kicks %lu, notifies %u, skipped %u, interrupts %u (irq=%s, %s)\n", k, k,
		       v->notifies - n0, v->notifies_skipped - s0, v->irqs - i0, virtio_irq_name(),
		       v->event_idx ? "EVENT_IDX" : "flags");
	return rc;
}

/* --- benchmarks (bench.c) ------------------------------------------------------ */

/* The disk started, and the queue of blk.queue= resolved against the
 * queues it is driven with. */
static char bench_why[112];

static const char *blk_bench_start(void)
{
	virtio_dev_probe();
	if (!blk_dev.found && blk_dev.chosen && blk_dev.which != BLK_LAST && blk_dev.which >= blk_dev.count) {
		snprintf(bench_why, sizeof(bench_why), "blk.disk=%u, but there %s %u virtio-blk device%s", blk_dev.which,
			 blk_dev.count == 1 ? "is" : "are", blk_dev.count, blk_dev.count == 1 ? "" : "s");
		return bench_why;
	}
	if (!blk_dev.found)
		return "no virtio-blk device";
	struct virtio_dev *d = virtio_dev_get(&blk_dev);
	if (!d)
		return "virtio-blk did not start";
	bench_q = bench_queue_opt == BLK_LAST ? d->v.nvq - 1 : bench_queue_opt;
	if (bench_q >= d->v.nvq) {
		snprintf(bench_why, sizeof(bench_why), "blk.queue=%u, but the disk is driven with %u queue%s (blk.queues=)",
			 bench_q, d->v.nvq, d->v.nvq == 1 ? "" : "s");
		return bench_why;
	}
	return NULL;
}

const char *blk_bench_prepare_notify(void) { return blk_bench_start(); } /* in the current irq= mode */
const char *blk_bench_prepare_poll(void)
{
	virtio_irq_set(false);
	return blk_bench_start();
}
const char *blk_bench_prepare_msix(void)
{
	virtio_irq_set(true);
	return blk_bench_start();
}

/* The notify alone: with nothing new in the ring the device finds no work,
 * so this times the exit and the wake-up of whoever serves it. */
void blk_bench_notify(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		gvirtio_notify_q(&blk_dev.v, bench_q);
}

/* Whole 4 KiB reads (eight sectors from sector 0), one at a time. */
void blk_bench_read(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (blk_request_q(bench_q, VIRTIO_BLK_T_IN, 0, sizeof(req_data), true))
			panic("bench: virtio-blk read failed");
}

/* Batches of BLK_BATCH 512-byte reads (sector i of the batch), one kick
 * each: one notify a batch (none while the device polls), and with MSI-X
 * and EVENT_IDX one interrupt a batch. n is in requests. */
void blk_bench_batch(unsigned n)
{
	struct gvirtio *v = &blk_dev.v;
	for (unsigned done = 0; done < n; done += BLK_BATCH) {
		for (unsigned i = 0; i < BLK_BATCH; i++)
			if (batch_add(v, bench_q, i))
				panic("bench: virtio-blk batch: no room in the queue");
		gvirtio_kick(v, bench_q);
		if (gvirtio_wait(v, bench_q, BLK_BATCH) || batch_check(BLK_BATCH))
			panic("bench: virtio-blk batch read failed");
	}
}

/* Bursts of BLK_BATCH 512-byte reads, each added and kicked on its own
 * (as blk.burst=), then all awaited: a kick notifies only where the
 * device's avail_event (EVENT_IDX) or VIRTQ_USED_F_NO_NOTIFY lets it, so
 * the notifies per request are what event suppression saved. n is in
 * requests. */
void blk_bench_burst(unsigned n)
{
	struct gvirtio *v = &blk_dev.v;
	for (unsigned done = 0; done < n; done += BLK_BATCH) {
		for (unsigned i = 0; i < BLK_BATCH; i++) {
			if (batch_add(v, bench_q, i))
				panic("bench: virtio-blk burst: no room in the queue");
			gvirtio_kick(v, bench_q);
		}
		if (gvirtio_wait(v, bench_q, BLK_BATCH) || batch_check(BLK_BATCH))
			panic("bench: virtio-blk burst read failed");
	}
}

void blk_bench_counts(uint64_t *notifies, uint64_t *interrupts)
{
	*notifies = blk_dev.v.notifies;
	*interrupts = blk_dev.v.irqs;
}

/* What the line was measured on: the disk (its place, and its number of
 * those on the bus), the queue, and that queue's notify address. */
void blk_bench_extra(void)
{
	const struct virtio_dev *d = &blk_dev;
	printf(" disk=%u disks=%u bdf=%02x:%02x.%x queue=%u queues=%u notify_addr=0x%lx", d->nth, d->count,
	       PCI_BDF_BUS(d->bdf), PCI_BDF_DEV(d->bdf), PCI_BDF_FN(d->bdf), bench_q, d->v.nvq,
	       (uint64_t)d->v.vq[bench_q].notify);
}
