/*
 * aspace.c - the address-space registry (aspace.h): a short table,
 * scanned linearly (a VM here has a few dozen ranges at most, and the
 * table is consulted when something moves, not on every exit).
 *
 * Bounds are kept as [base, last] so that a range ending at 2^64 needs no
 * 65-bit arithmetic; messages print the exclusive end, 2^64 included.
 * Memory slot numbers are the lowest one no range holds: RAM from 0, every
 * other slot from 1, so a freed slot is reused by the next mapping.
 */
#include "aspace.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"

static struct aspace_range ranges[ASPACE_MAX_RANGES];
static unsigned nr_ranges;

static bool is_port(enum aspace_kind kind)
{
	return kind == ASPACE_PIO;
}

static bool is_slot(enum aspace_kind kind)
{
	return kind == ASPACE_RAM || kind == ASPACE_MEMSLOT;
}

/* The exclusive end of a range whose last byte is `last`, as text: "0x..."
 * (2^64 has 17 hex digits). */
static const char *end_str(uint64_t last, char *buf, size_t len)
{
	if (last == UINT64_MAX)
		snprintf(buf, len, "0x10000000000000000");
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)(last + 1));
	return buf;
}

const struct aspace_range *aspace_find(enum aspace_kind kind, uint64_t base, uint64_t len)
{
	const struct aspace_range *lowest = NULL;

	if (!len)
		return NULL;
	uint64_t last = len - 1 > UINT64_MAX - base ? UINT64_MAX : base + len - 1;
	for (unsigned i = 0; i < nr_ranges; i++) {
		const struct aspace_range *r = &ranges[i];
		if (is_port(r->kind) == is_port(kind) && base <= r->last && r->base <= last &&
		    (!lowest || r->base < lowest->base))
			lowest = r;
	}
	return lowest;
}

int aspace_check(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, char *err, size_t errlen)
{
	char e1[24], e2[24];

	if (!len)
		return errmsg(err, errlen, "%s at 0x%llx: an empty range", name, (unsigned long long)base);
	if (len - 1 > UINT64_MAX - base)
		return errmsg(err, errlen, "%s at 0x%llx (0x%llx bytes) runs past the end of the %s space", name,
			      (unsigned long long)base, (unsigned long long)len, is_port(kind) ? "port" : "address");
	const struct aspace_range *r = aspace_find(kind, base, len);
	if (!r)
		return 0;
	return errmsg(err, errlen, "%s at [0x%llx, %s) overlaps %s at [0x%llx, %s)", name, (unsigned long long)base,
		      end_str(base + (len - 1), e1, sizeof(e1)), r->name, (unsigned long long)r->base,
		      end_str(r->last, e2, sizeof(e2)));
}

/* Appends a checked range; slot is meaningful for memory slots only. */
static int aspace_insert(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, unsigned slot,
			 char *err, size_t errlen)
{
	if (aspace_check(kind, base, len, name, err, errlen))
		return -1;
	if (nr_ranges == ASPACE_MAX_RANGES)
		return errmsg(err, errlen, "%s at 0x%llx: the address-space table is full (%d ranges)", name,
			      (unsigned long long)base, ASPACE_MAX_RANGES);
	struct aspace_range *r = &ranges[nr_ranges++];
	*r = (struct aspace_range){ .kind = kind, .base = base, .last = base + (len - 1), .slot = slot };
	snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

int aspace_add(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, char *err, size_t errlen)
{
	if (is_slot(kind))
		return errmsg(err, errlen, "%s: a memory slot is added with aspace_slot_add()", name);
	return aspace_insert(kind, base, len, name, 0, err, errlen);
}

static bool slot_held(unsigned slot)
{
	for (unsigned i = 0; i < nr_ranges; i++)
		if (is_slot(ranges[i].kind) && ranges[i].slot == slot)
			return true;
	return false;
}

int aspace_slot_add(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, unsigned *slot,
		    char *err, size_t errlen)
{
	if (!is_slot(kind))
		return errmsg(err, errlen, "%s: not a memory slot", name);
	unsigned s = kind == ASPACE_RAM ? 0 : 1; /* the lowest free number */
	while (slot_held(s))
		s++;
	if (aspace_insert(kind, base, len, name, s, err, errlen))
		return -1;
	*slot = s;
	return 0;
}

static void aspace_drop(unsigned i)
{
	ranges[i] = ranges[--nr_ranges];
}

int aspace_remove(enum aspace_kind kind, uint64_t base)
{
	for (unsigned i = 0; i < nr_ranges; i++) {
		if (!is_slot(kind) && ranges[i].kind == kind && ranges[i].base == base) {
			aspace_drop(i);
			return 0;
		}
	}
	return -1;
}

int aspace_slot_remove(unsigned slot)
{
	for (unsigned i = 0; i < nr_ranges; i++) {
		if (is_slot(ranges[i].kind) && ranges[i].slot == slot) {
			aspace_drop(i);
			return 0;
		}
	}
	return -1;
}

void aspace_reset(void)
{
	nr_ranges = 0;
}
