/*
 * irqbench.c - interrupt injection latency (irqbench.h).
 *
 * A request (a struct exitlab_irq_req in guest RAM, its address written to
 * EXITLAB_PORT_IRQ_BENCH) is served on the vCPU thread, inside that port
 * exit:
 *
 *   1. the GSI's MSI route is pointed at the asked vector (only when it
 *      changes: KVM_SET_GSI_ROUTING);
 *   2. the clocks are correlated (the narrowest of three tries): host TSC h0, the vCPU's IA32_TSC through
 *      KVM_GET_MSRS (g), host TSC h1; the guest's TSC runs at the host's
 *      rate plus an offset (KVM_GET_TSC_KHZ is the host's rate here: no
 *      scaling), so offset = g - (h0 + h1) / 2, uncertain by h1 - h0;
 *   3. host TSC w, then write(irqfd, 1): the MSI is injected and pending
 *      when the vCPU re-enters; write_tsc = w + offset.
 *
 * The guest's handler stamps its TSC; handler - write_tsc is the latency
 * from the irqfd write to the handler. Where KVM_GET_MSRS fails, flags
 * says so and the guest reports a round trip instead. The host TSC is read
 * with RDTSC in userspace: on this PVM host as on hardware, the same
 * counter KVM offsets for the guest.
 */
#include "irqbench.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <x86intrin.h>

#include "errmsg.h"
#include "exitlab_abi.h"
#include "io.h"
#include "irq.h"
#include "layout.h"
#include "trace.h"
#include "vmm.h"

#define MSR_IA32_TSC 0x10

static int irqfd = -1;
static unsigned gsi, routed_vector;
static uint64_t served, correlated, refused; /* for --stats */

/* The guest's TSC minus the host's, and the window it was read in: the
 * narrowest of OFFSET_TRIES readings (a host preemption between the two
 * host reads widens one). */
#define OFFSET_TRIES 3

static int tsc_offset_once(struct vm *vm, uint64_t *offset, uint64_t *window)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} m = { .hdr.nmsrs = 1, .e.index = MSR_IA32_TSC };
	uint64_t h0 = __rdtsc();
	int r = ioctl(vm->vcpu_fd, KVM_GET_MSRS, &m);
	uint64_t h1 = __rdtsc();
	if (r != 1)
		return -1;
	*offset = m.e.data - (h0 + (h1 - h0) / 2);
	*window = h1 - h0;
	return 0;
}

static int tsc_offset(struct vm *vm, uint64_t *offset, uint64_t *window)
{
	uint64_t o, w;

	*window = UINT64_MAX;
	for (unsigned i = 0; i < OFFSET_TRIES; i++) {
		if (tsc_offset_once(vm, &o, &w))
			return -1;
		if (w < *window) {
			*offset = o;
			*window = w;
		}
	}
	return 0;
}

static void irq_port_io(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size, bool is_write)
{
	if (!is_write) {
		memset(data, 0xff, size);
		return;
	}
	uint32_t gpa = 0;
	memcpy(&gpa, data, size < 4 ? size : 4);
	struct exitlab_irq_req *req = vm_gpa_ptr(vm, gpa, sizeof(*req));
	uint32_t vector = req ? GUEST_READ_ONCE(req->vector) : 0;
	if (!req || gpa % 8 || vector < 32 || vector > 255) {
		if (refused++ < 5)
			fprintf(stderr, "vmm: irq bench: bad request from guest (address 0x%x, vector %u): ignored\n",
				gpa, vector);
		return;
	}
	if (vector != routed_vector) {
		if (irq_msi_update(vm, gsi, LAYOUT_LAPIC, vector)) {
			if (refused++ < 5)
				fprintf(stderr, "vmm: irq bench: cannot route GSI %u to vector %u: %s\n", gsi, vector,
					strerror(errno));
			return;
		}
		routed_vector = vector;
	}
	uint64_t offset = 0, window = 0;
	uint32_t flags = tsc_offset(vm, &offset, &window) ? 0 : EXITLAB_IRQ_CORRELATED;
	served++;
	correlated += flags != 0;
	req->flags = flags;
	req->window = window;
	req->served = served;
	static const uint64_t one = 1;
	uint64_t w = __rdtsc();
	req->write_tsc = flags ? w + offset : 0;
	if (write(irqfd, &one, sizeof(one)) != sizeof(one) && refused++ < 5)
		fprintf(stderr, "vmm: irq bench: irqfd write: %s\n", strerror(errno));
	if (trace_on(TRACE_IRQ))
		trace_emit(TRACE_IRQ, "irq bench: vector %u via GSI %u (irqfd), %s, window %llu cycles", vector, gsi,
			   flags ? "clocks correlated" : "no guest TSC (KVM_GET_MSRS failed)",
			   (unsigned long long)window);
}

int irqbench_init(struct vm *vm, char *err, size_t errlen)
{
	routed_vector = 0x40; /* any: the first request re-points it */
	irqfd = irq_msi_alloc(vm, LAYOUT_LAPIC, routed_vector, &gsi);
	if (irqfd < 0)
		return errmsg(err, errlen, "irq bench: no MSI route and irqfd: %s", strerror(errno));
	if (io_register(IO_PIO, EXITLAB_PORT_IRQ_BENCH, 4, "exitlab irq bench", irq_port_io, NULL, err, errlen))
		return -1;
	return 0;
}

void irqbench_stats_print(FILE *out)
{
	if (irqfd < 0)
		return;
	fprintf(out, "stats: irq bench GSI %u: %llu MSIs injected through its irqfd, %llu with the clocks correlated",
		gsi, (unsigned long long)served, (unsigned long long)correlated);
	fprintf(out, refused ? ", %llu requests refused\n" : "\n", (unsigned long long)refused);
}
