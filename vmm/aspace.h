/*
 * aspace.h - the registry of what the guest finds at each address: one
 * table of guest-physical ranges (and of port ranges, the other space a
 * BAR can decode in), each with its kind and name, and for KVM memory
 * slots the slot number, which the registry hands out.
 *
 * Every range that decodes goes through it: RAM (slot 0, kvm.c), the
 * local APIC page and the in-kernel IOAPIC, the ECAM window, each MMIO or
 * port range io.c dispatches (it registers them here), and the memory
 * slots of passthrough BARs. So one check, aspace_check(), answers "may
 * this go here?" for every device, with one message naming both ranges.
 * Ranges are [base, base + len), len > 0, ending at 2^64 at the latest.
 */
#ifndef VMM_ASPACE_H
#define VMM_ASPACE_H

#include <stddef.h>
#include <stdint.h>

enum aspace_kind {
	ASPACE_RAM,     /* guest RAM: a memory slot, slot 0 */
	ASPACE_LAPIC,   /* the local APIC page (KVM's, in the kernel) */
	ASPACE_IOAPIC,  /* the in-kernel IOAPIC (KVM_CREATE_IRQCHIP) */
	ASPACE_ECAM,    /* the ECAM window (dispatched by io.c) */
	ASPACE_MMIO,    /* an MMIO range io.c dispatches: a BAR, trapped pages */
	ASPACE_MEMSLOT, /* a KVM memory slot other than RAM: passthrough BARs */
	ASPACE_PIO,     /* a port range io.c dispatches (the port space) */
};

#define ASPACE_MAX_RANGES 128
#define ASPACE_NAME_MAX 64

struct aspace_range {
	enum aspace_kind kind;
	uint64_t base, last;         /* last byte: a range may end at 2^64 */
	char name[ASPACE_NAME_MAX];  /* "RAM", "00:03.0 virtio-blk BAR0" */
	unsigned slot;               /* RAM and ASPACE_MEMSLOT: the KVM slot */
};

/* May a range of this kind (its space: ports for ASPACE_PIO, memory for
 * the rest) named `name` go at [base, base + len)? 0 if so; else -1 with
 * the one message in err: "NAME at [B, E) overlaps OTHER at [B, E)", or
 * why the range itself is wrong (empty, past 2^64). */
int aspace_check(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, char *err, size_t errlen);
/* Adds a range that is not a memory slot (the name is copied). 0, or -1
 * with aspace_check()'s message (or the table's trouble) in err. */
int aspace_add(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, char *err, size_t errlen);
/* Adds a memory slot's range, ASPACE_RAM or ASPACE_MEMSLOT, and gives it
 * the lowest free slot number in *slot (0 is kept for RAM). 0 or -1. */
int aspace_slot_add(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, unsigned *slot,
		    char *err, size_t errlen);
/* Removes the range of this kind (not a memory slot) at base. 0 or -1. */
int aspace_remove(enum aspace_kind kind, uint64_t base);
/* Removes memory slot `slot`; its number is free again. 0 or -1. */
int aspace_slot_remove(unsigned slot);
/* The range of kind's space that [base, base + len) overlaps, the lowest
 * one; NULL if none. */
const struct aspace_range *aspace_find(enum aspace_kind kind, uint64_t base, uint64_t len);
/* Forgets every range (the unit tests start over). */
void aspace_reset(void);

#endif
