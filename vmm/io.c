/*
 * io.c - the port and MMIO registration table, dispatch, and exit counts.
 *
 * Each range is in the address-space registry too (aspace.c), which
 * decides whether it may go where it asks; this table keeps what only
 * dispatch needs: the handler and the counts.
 *
 * Lookups are a linear scan: a VM here has a few ranges, and a scan of a
 * few entries costs nanoseconds against an exit's microseconds. Each range
 * counts its reads and writes, and a separate table counts exits by KVM
 * exit reason, so --stats can say what exited and where.
 */
#include "io.h"

#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "trace.h"
#include "vmm.h"

#define IO_MAX_RANGES 64
#define IO_MAX_UNCLAIMED 32
#define EXIT_REASON_MAX 64

struct io_range {
	enum aspace_kind kind; /* as registered in the address-space registry */
	enum io_space space;
	uint64_t base, len;
	const char *name;
	io_handler_fn *fn;
	void *opaque;
	uint64_t reads, writes;
};

static struct io_range ranges[IO_MAX_RANGES];
static unsigned nr_ranges;
/* Ranges unregistered (a BAR the guest moved or turned off): their counts
 * carry over to a range registered again under the same name. */
static struct io_range retired[IO_MAX_RANGES];
static unsigned nr_retired;
static uint64_t exits_by_reason[EXIT_REASON_MAX];

/* Unclaimed accesses, counted per address (the first few addresses). */
static struct {
	enum io_space space;
	uint64_t addr, count;
} unclaimed[IO_MAX_UNCLAIMED];
static unsigned nr_unclaimed;

int io_register_kind(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, io_handler_fn *fn,
		     void *opaque, char *err, size_t errlen)
{
	enum io_space space = kind == ASPACE_PIO ? IO_PIO : IO_MMIO;

	if (nr_ranges == IO_MAX_RANGES)
		return errmsg(err, errlen, "%s: no room in the dispatch table (%d ranges)", name, IO_MAX_RANGES);
	/* The registry refuses overlaps, empty and wrapping ranges. */
	if (aspace_add(kind, base, len, name, err, errlen))
		return -1;
	struct io_range r = { kind, space, base, len, name, fn, opaque, 0, 0 };
	for (unsigned i = 0; i < nr_retired; i++) {
		if (retired[i].space == space && !strcmp(retired[i].name, name)) {
			r.reads = retired[i].reads;
			r.writes = retired[i].writes;
			retired[i] = retired[--nr_retired];
			break;
		}
	}
	ranges[nr_ranges++] = r;
	return 0;
}

int io_register(enum io_space space, uint64_t base, uint64_t len, const char *name, io_handler_fn *fn,
		void *opaque, char *err, size_t errlen)
{
	return io_register_kind(space == IO_PIO ? ASPACE_PIO : ASPACE_MMIO, base, len, name, fn, opaque, err, errlen);
}

int io_unregister(enum io_space space, uint64_t base)
{
	for (unsigned i = 0; i < nr_ranges; i++) {
		if (ranges[i].space == space && ranges[i].base == base) {
			aspace_remove(ranges[i].kind, base);
			if ((ranges[i].reads || ranges[i].writes) && nr_retired < IO_MAX_RANGES)
				retired[nr_retired++] = ranges[i];
			ranges[i] = ranges[--nr_ranges];
			return 0;
		}
	}
	return -1;
}

static struct io_range *io_find(enum io_space space, uint64_t addr, unsigned size)
{
	for (unsigned i = 0; i < nr_ranges; i++) {
		struct io_range *r = &ranges[i];
		if (r->space == space && addr >= r->base && addr - r->base < r->len &&
		    size <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}

static void io_unclaimed(enum io_space space, uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, size);
	if (trace_on(TRACE_IO))
		trace_emit(TRACE_IO, "%s %s 0x%llx size %u (unclaimed: %s)", space == IO_PIO ? "pio" : "mmio",
			   is_write ? "write" : "read", (unsigned long long)addr, size,
			   is_write ? "dropped" : "reads as all-ones");
	for (unsigned i = 0; i < nr_unclaimed; i++) {
		if (unclaimed[i].space == space && unclaimed[i].addr == addr) {
			unclaimed[i].count++;
			return;
		}
	}
	/* Reported once per address, for the first few addresses: a guest must
	 * not be able to flood our stderr. */
	if (nr_unclaimed < IO_MAX_UNCLAIMED) {
		fprintf(stderr, "vmm: guest %s unclaimed %s 0x%llx (%u bytes): %s%s\n", is_write ? "wrote" : "read",
			space == IO_PIO ? "port" : "MMIO address", (unsigned long long)addr, size,
			is_write ? "dropped" : "reads as all-ones",
			nr_unclaimed + 1 == IO_MAX_UNCLAIMED ? " (further addresses are not reported)" : "");
		unclaimed[nr_unclaimed++] = (typeof(unclaimed[0])){ space, addr, 1 };
	}
}

static void io_access(struct vm *vm, enum io_space space, uint64_t addr, uint8_t *data, unsigned size,
		      bool is_write)
{
	struct io_range *r = io_find(space, addr, size);

	if (!r) {
		io_unclaimed(space, addr, data, size, is_write);
		return;
	}
	if (is_write)
		r->writes++;
	else
		r->reads++;
	r->fn(vm, r->opaque, addr - r->base, data, size, is_write);
	if (trace_on(TRACE_IO)) {
		uint64_t v = 0;
		memcpy(&v, data, size < 8 ? size : 8);
		trace_emit(TRACE_IO, "%s %s 0x%llx size %u %s 0x%llx (%s)", space == IO_PIO ? "pio" : "mmio",
			   is_write ? "write" : "read", (unsigned long long)addr, size, is_write ? "<-" : "->",
			   (unsigned long long)v, r->name);
	}
}

void io_pio(struct vm *vm, uint16_t port, uint8_t *data, unsigned size, unsigned count, bool is_write)
{
	/* A string instruction (rep outsb...) arrives as count back-to-back items. */
	for (unsigned i = 0; i < count; i++)
		io_access(vm, IO_PIO, port, data + (size_t)i * size, size, is_write);
}

void io_mmio(struct vm *vm, uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
	io_access(vm, IO_MMIO, addr, data, size, is_write);
}

void io_count_exit(uint32_t reason)
{
	exits_by_reason[reason < EXIT_REASON_MAX ? reason : EXIT_REASON_MAX - 1]++;
}

const char *exit_reason_name(unsigned r)
{
	switch (r) {
	case KVM_EXIT_IO: return "KVM_EXIT_IO";
	case KVM_EXIT_MMIO: return "KVM_EXIT_MMIO";
	case KVM_EXIT_HLT: return "KVM_EXIT_HLT";
	case KVM_EXIT_SHUTDOWN: return "KVM_EXIT_SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
	case KVM_EXIT_INTR: return "KVM_EXIT_INTR (signal)";
	case KVM_EXIT_SYSTEM_EVENT: return "KVM_EXIT_SYSTEM_EVENT";
	case KVM_EXIT_X86_RDMSR: return "KVM_EXIT_X86_RDMSR";
	case KVM_EXIT_X86_WRMSR: return "KVM_EXIT_X86_WRMSR";
	default: return "other";
	}
}

uint64_t io_exits_total(void)
{
	uint64_t total = 0;

	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		total += exits_by_reason[r];
	return total;
}

void io_stats_print(void)
{
	fprintf(stderr, "stats: %llu exits to userspace\n", (unsigned long long)io_exits_total());
	for (unsigned r = 0; r < EXIT_REASON_MAX; r++)
		if (exits_by_reason[r])
			fprintf(stderr, "stats:   reason %-24s %10llu\n", exit_reason_name(r),
				(unsigned long long)exits_by_reason[r]);
	for (unsigned i = 0; i < nr_ranges; i++) {
		struct io_range *r = &ranges[i];
		if (!r->reads && !r->writes)
			continue;
		fprintf(stderr, "stats:   %-4s 0x%08llx+0x%-6llx %-28s reads %8llu writes %8llu\n",
			r->space == IO_PIO ? "pio" : "mmio", (unsigned long long)r->base,
			(unsigned long long)r->len, r->name, (unsigned long long)r->reads,
			(unsigned long long)r->writes);
	}
	for (unsigned i = 0; i < nr_retired; i++)
		fprintf(stderr, "stats:   %-4s (moved away)        %-28s reads %8llu writes %8llu\n",
			retired[i].space == IO_PIO ? "pio" : "mmio", retired[i].name,
			(unsigned long long)retired[i].reads, (unsigned long long)retired[i].writes);
	for (unsigned i = 0; i < nr_unclaimed; i++)
		fprintf(stderr, "stats:   %-4s 0x%08llx %-37s accesses %6llu\n",
			unclaimed[i].space == IO_PIO ? "pio" : "mmio", (unsigned long long)unclaimed[i].addr,
			"(unclaimed)", (unsigned long long)unclaimed[i].count);
}
