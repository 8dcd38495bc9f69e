/*
 * rng.c - the virtio-rng driver (virtio 1.x §5.4) and its action,
 * rng.read=N: one device-writable buffer on queue 0, refilled until the
 * device has given N bytes (it may give fewer than asked each time).
 */
#include "rng.h"

#include "exitlab_abi.h"
#include "lib.h"
#include "virtio_transport.h"

#define RNG_MAX_BYTES 4096

struct virtio_dev rng_dev = { .v = { .name = "virtio-rng", .type = VIRTIO_ID_RNG }, .vector = VIRTIO_VECTOR_RNG };

/* Written by the device before it is read. */
static uint8_t rng_buf[RNG_MAX_BYTES] NOINIT_DMA;

int rng_read_action(const char *val, size_t len, bool dry_run)
{
	uint64_t n;
	if (!parse_u64(val, len, &n) || n == 0 || n > sizeof(rng_buf)) {
		printf("error: rng.read: '%.*s' is not a byte count from 1 to %zu\n", (int)len, val, sizeof(rng_buf));
		return EXITLAB_EXIT_USAGE;
	}
	if (dry_run)
		return EXITLAB_EXIT_OK;
	struct virtio_dev *d = virtio_dev_get(&rng_dev);
	if (!d)
		return EXITLAB_EXIT_FAIL;
	/* The device may return fewer bytes than asked: ask until we have n. */
	for (uint64_t got = 0; got < n;) {
		struct gvbuf b = { rng_buf + got, (uint32_t)(n - got), true };
		int64_t r = gvirtio_request(&d->v, &b, 1);
		if (r <= 0) {
			d->started = false; /* reset before the next use */
			printf("error: virtio-rng: the device returned %ld bytes\n", r);
			return EXITLAB_EXIT_FAIL;
		}
		got += (uint64_t)r;
	}
	printf("rng ");
	for (uint64_t i = 0; i < n; i += 32) {
		char hex[65];
		unsigned k = 0;
		for (; k < 32 && i + k < n; k++)
			snprintf(hex + 2 * k, 3, "%02x", rng_buf[i + k]);
		printf("%.*s", (int)(2 * k), hex);
	}
	printf("\nrng: read %lu bytes (irq=%s, interrupts %u)\n", n, virtio_irq_name(), rng_dev.v.irqs);
	return EXITLAB_EXIT_OK;
}
