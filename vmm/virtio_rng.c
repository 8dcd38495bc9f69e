/*
 * virtio_rng.c - the virtio entropy device (virtio 1.x §5.4): one request
 * queue, no feature bits, no device configuration. Each chain's writable
 * buffers are filled from the host's getrandom(); the used length is what
 * was written.
 */
#include <sys/random.h>

#include "vpci.h"

static uint32_t rng_request(void *ctx, unsigned qi, const struct virtq_chain *c)
{
	uint32_t written = 0;
	for (unsigned i = 0; i < c->nbufs; i++) {
		if (!c->bufs[i].writable)
			continue;
		ssize_t n = getrandom(c->bufs[i].base, c->bufs[i].len, 0);
		if (n <= 0)
			break;
		written += (uint32_t)n;
		if ((uint32_t)n < c->bufs[i].len)
			break;
	}
	return written;
}

const struct vpci_ops virtio_rng_ops = {
	.name = "virtio-rng",
	.type = VIRTIO_ID_RNG,
	.class_code = 0x00ff00, /* unclassified */
	.nqueues = 1,           /* §5.4.2: requestq */
	.request = rng_request,
};
