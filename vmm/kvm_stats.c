/*
 * kvm_stats.c - the kernel's own count of what the guest did, for --stats.
 *
 * The VMM sees only the exits that come back from KVM_RUN; the ones KVM
 * finishes itself (an ioeventfd write, the in-kernel PIC and APIC, CPUID)
 * never reach it. KVM's binary statistics (KVM_GET_STATS_FD, Linux 5.14,
 * Documentation/virt/kvm/api.rst §4.133) count them: a read-only fd per VM
 * and per vCPU, laid out as a header, then a descriptor per statistic
 * (name, type, unit, where its value sits), then the values, u64 each.
 *
 * kvm_stats_begin() opens both and takes a first reading just before the
 * guest runs; kvm_stats_print() reads again and prints, for each
 * cumulative counter that moved, how much: next to the VMM's own count of
 * exits that reached userspace, so what the kernel finished appears as a
 * number. A kernel without the ioctl is said once, and --stats goes on.
 */
#include "kvm_stats.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm.h"

struct kvm_stats_set {
	const char *who;      /* "vm", "vcpu0" */
	int fd;               /* -1: not open */
	struct kvm_stats_header h;
	uint8_t *descs;       /* h.num_desc descriptors of desc_size bytes */
	size_t desc_size;
	uint64_t *first;      /* the reading at kvm_stats_begin, one per descriptor */
	size_t data_len;      /* bytes of values */
};

static struct kvm_stats_set sets[2] = { { .who = "vm", .fd = -1 }, { .who = "vcpu0", .fd = -1 } };
static const char *unavailable; /* why there are no kernel counts, or NULL */

static const struct kvm_stats_desc *desc_at(const struct kvm_stats_set *s, unsigned i)
{
	return (const struct kvm_stats_desc *)(s->descs + (size_t)i * s->desc_size);
}

/* A plain counter: one value, cumulative, no unit or a count of something. */
static bool is_counter(const struct kvm_stats_desc *d)
{
	return d->size == 1 && (d->flags & KVM_STATS_TYPE_MASK) == KVM_STATS_TYPE_CUMULATIVE;
}

/* All the values, into out (data_len bytes). */
static int read_values(const struct kvm_stats_set *s, uint64_t *out)
{
	ssize_t n = pread(s->fd, out, s->data_len, s->h.data_offset);
	return n == (ssize_t)s->data_len ? 0 : -1;
}

static int set_open(struct kvm_stats_set *s, int owner_fd)
{
	s->fd = ioctl(owner_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return -1;
	if (pread(s->fd, &s->h, sizeof(s->h), 0) != sizeof(s->h) || s->h.num_desc == 0 || s->h.num_desc > 4096 ||
	    s->h.name_size == 0 || s->h.name_size > 256) {
		errno = EPROTO;
		return -1;
	}
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	s->descs = calloc(s->h.num_desc, s->desc_size);
	if (!s->descs)
		return -1;
	size_t len = s->h.num_desc * s->desc_size;
	if (pread(s->fd, s->descs, len, s->h.desc_offset) != (ssize_t)len) {
		errno = EPROTO;
		return -1;
	}
	/* The values (u64s, at byte offsets into the data block) run to the
	 * end of the last descriptor's; a misaligned one is not believed. */
	for (unsigned i = 0; i < s->h.num_desc; i++) {
		const struct kvm_stats_desc *d = desc_at(s, i);
		size_t end = (size_t)d->offset + (size_t)d->size * sizeof(uint64_t);
		if (d->offset % sizeof(uint64_t) || end > (1u << 20)) {
			errno = EPROTO;
			return -1;
		}
		if (end > s->data_len)
			s->data_len = end;
	}
	s->first = calloc(1, s->data_len ? s->data_len : 1);
	return s->first && read_values(s, s->first) == 0 ? 0 : -1;
}

void kvm_stats_begin(const struct vm *vm)
{
	int owners[2] = { vm->vm_fd, vm->vcpu_fd };

	for (unsigned i = 0; i < 2; i++)
		if (set_open(&sets[i], owners[i])) {
			unavailable = errno == ENOTTY || errno == EINVAL
					      ? "this kernel has no KVM binary statistics (KVM_GET_STATS_FD, Linux >= 5.14)"
					      : strerror(errno);
			return;
		}
}

static uint64_t value_of(const struct kvm_stats_set *s, const uint64_t *v, const char *name)
{
	for (unsigned i = 0; i < s->h.num_desc; i++) {
		const struct kvm_stats_desc *d = desc_at(s, i);
		if (is_counter(d) && !strncmp(d->name, name, s->h.name_size))
			return v[d->offset / sizeof(uint64_t)] - s->first[d->offset / sizeof(uint64_t)];
	}
	return 0;
}

void kvm_stats_print(FILE *out, uint64_t userspace_exits)
{
	if (unavailable) {
		fprintf(out, "stats: kernel counts not shown: %s\n", unavailable);
		return;
	}
	for (unsigned k = 0; k < 2; k++) {
		struct kvm_stats_set *s = &sets[k];
		uint64_t *now = calloc(1, s->data_len ? s->data_len : 1);
		if (!now || read_values(s, now)) {
			fprintf(out, "stats: kvm %s: cannot read its statistics\n", s->who);
			free(now);
			continue;
		}
		if (k == 1) {
			uint64_t exits = value_of(s, now, "exits");
			fprintf(out, "stats: kvm vcpu0: %llu exits, %llu of them to userspace: %lld finished in the kernel\n",
				(unsigned long long)exits, (unsigned long long)userspace_exits,
				(long long)(exits - userspace_exits));
		}
		for (unsigned i = 0; i < s->h.num_desc; i++) {
			const struct kvm_stats_desc *d = desc_at(s, i);
			unsigned slot = d->offset / sizeof(uint64_t);
			if (!is_counter(d) || now[slot] == s->first[slot])
				continue;
			fprintf(out, "stats:   kvm %-5s %-28.*s %12llu\n", s->who, (int)s->h.name_size, d->name,
				(unsigned long long)(now[slot] - s->first[slot]));
		}
		free(now);
	}
}
