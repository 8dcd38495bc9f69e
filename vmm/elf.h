/*
 * elf.h - load an ELF64 image with a PVH note into guest RAM.
 *
 * A pure function over the image bytes and a host buffer standing for guest
 * RAM, so the unit tests can feed it every kind of broken image without a
 * VM. It refuses, with one sentence saying what is wrong and where, anything
 * that is not a little-endian x86-64 ELF64 (EV_CURRENT) executable whose
 * PT_LOAD segments lie inside guest RAM, clear of the boot information and
 * of each other, with a PVH note (XEN_ELFNOTE_PHYS32_ENTRY) pointing into
 * the file bytes of an executable (PF_X) one.
 */
#ifndef VMM_ELF_H
#define VMM_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where segments may go. Guest RAM is [0, ram_size) minus the hole. */
struct elf_limits {
	uint64_t ram_size;
	uint64_t hole_start, hole_end; /* not RAM (legacy VGA/BIOS area) */
	uint64_t boot_start, boot_end; /* the VMM's boot information */
	/* RAM is fresh anonymous memory, all zero: the part of a segment past
	 * its file bytes (BSS, and the image's never-cleared scratch) is left
	 * untouched instead of zeroed, so its pages are not made resident. */
	bool ram_is_zero;
};

struct elf_image {
	uint32_t entry;    /* PVH 32-bit entry point (physical) */
	uint64_t lo, hi;   /* lowest and highest+1 physical byte loaded */
	unsigned nr_loads; /* PT_LOAD segments copied */
};

/*
 * Copies the PT_LOAD segments of img[0..size) into ram (ram_size bytes,
 * guest-physical address 0 at ram[0]) and finds the PVH entry. Returns 0,
 * or -1 with a message in err (always NUL-terminated). RAM is untouched
 * when it fails: every check comes before the first byte is copied.
 */
int elf_load(const void *img, size_t size, void *ram, const struct elf_limits *lim, struct elf_image *out,
	     char *err, size_t errlen);

#endif
