/*
 * elf.c - the ELF64/PVH loader (see elf.h).
 *
 * Every offset and size read from the image is checked against the image
 * size before use, with additions done so that they cannot wrap; guest
 * addresses likewise against the limits. The order of the checks is the
 * order a reader would ask: is it an ELF at all, is it ours (class, data,
 * machine, type, version), are its headers all there, do its segments fit
 * (alone, then against each other), is there a PVH entry and is it code.
 * Nothing is written to guest RAM until every check has passed.
 */
#include "elf.h"

#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errmsg.h"
#include "pvh.h"

/* [off, off + len) lies inside [0, size), without overflow. */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/* Looks for XEN_ELFNOTE_PHYS32_ENTRY in one PT_NOTE segment's bytes.
 * Returns 1 if found (entry set), 0 if not, -1 on a malformed note. */
static int find_pvh_note(const uint8_t *p, uint64_t len, uint32_t *entry, char *err, size_t errlen)
{
	uint64_t off = 0;

	while (len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		memcpy(&nh, p + off, sizeof(nh));
		uint64_t name_off = off + sizeof(nh);
		uint64_t name_len = ((uint64_t)nh.n_namesz + 3) & ~3ull;
		uint64_t desc_off = name_off + name_len;
		uint64_t desc_len = ((uint64_t)nh.n_descsz + 3) & ~3ull;
		if (!in_bounds(name_off, name_len, len) || !in_bounds(desc_off, desc_len, len))
			return errmsg(err, errlen, "truncated ELF note at offset %llu of a PT_NOTE segment",
				    (unsigned long long)off);
		if (nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY && nh.n_namesz == sizeof(XEN_ELFNOTE_OWNER) &&
		    !memcmp(p + name_off, XEN_ELFNOTE_OWNER, sizeof(XEN_ELFNOTE_OWNER))) {
			if (nh.n_descsz != 4 && nh.n_descsz != 8)
				return errmsg(err, errlen, "PVH note has a %u-byte entry; expected 4 or 8",
					    nh.n_descsz);
			uint64_t e = 0;
			memcpy(&e, p + desc_off, nh.n_descsz);
			if (e > UINT32_MAX)
				return errmsg(err, errlen, "PVH entry 0x%llx is above 4 GiB: it must be a 32-bit address",
					    (unsigned long long)e);
			*entry = (uint32_t)e;
			return 1;
		}
		off = desc_off + desc_len;
	}
	return 0;
}

/* One PT_LOAD's guest-physical range, for the overlap and entry checks. */
struct load_range {
	uint64_t start, end, file_end; /* [start, end), file bytes [start, file_end) */
	unsigned idx;                  /* its program header */
	bool exec;                     /* PF_X */
};

static int load_range_cmp(const void *pa, const void *pb)
{
	const struct load_range *a = pa, *b = pb;

	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/*
 * The checks that need all the PT_LOADs at once (their headers are already
 * known to be sound): no two overlap, and the entry lies in the file bytes
 * of an executable one. Sorted by address, two segments overlap only if two
 * neighbours do (the one right after the lower of them starts inside it),
 * so e_phnum up to 65535 costs a sort, not 2^31 comparisons.
 */
static int check_loads(const uint8_t *b, const Elf64_Ehdr *eh, unsigned nr_loads, uint32_t entry, char *err,
		       size_t errlen)
{
	struct load_range *r = malloc(nr_loads * sizeof(*r));
	unsigned n = 0;
	int ret = -1;

	if (!r)
		return errmsg(err, errlen, "out of memory checking %u PT_LOAD segments", nr_loads);
	for (unsigned i = 0; i < eh->e_phnum && n < nr_loads; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, b + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		r[n++] = (struct load_range){ .start = ph.p_paddr, .end = ph.p_paddr + ph.p_memsz,
					      .file_end = ph.p_paddr + ph.p_filesz, .idx = i,
					      .exec = ph.p_flags & PF_X };
	}
	qsort(r, n, sizeof(*r), load_range_cmp);
	for (unsigned k = 0; k + 1 < n; k++) {
		if (r[k + 1].start >= r[k].end)
			continue;
		const struct load_range *x = &r[k], *y = &r[k + 1];
		if (x->idx > y->idx)
			x = &r[k + 1], y = &r[k];
		errmsg(err, errlen, "segments %u at [0x%llx, 0x%llx) and %u at [0x%llx, 0x%llx) overlap in guest memory: each byte may belong to one segment only; fix the linker script",
		       x->idx, (unsigned long long)x->start, (unsigned long long)x->end, y->idx,
		       (unsigned long long)y->start, (unsigned long long)y->end);
		goto out;
	}
	for (unsigned k = 0; k < n; k++) {
		const struct load_range *x = &r[k];
		if (entry < x->start || entry >= x->end)
			continue;
		if (!x->exec)
			errmsg(err, errlen, "PVH entry 0x%x is in segment %u at [0x%llx, 0x%llx), which is not executable (no PF_X): point the PVH note at code",
			       entry, x->idx, (unsigned long long)x->start, (unsigned long long)x->end);
		else if (entry >= x->file_end)
			errmsg(err, errlen, "PVH entry 0x%x is in the BSS of segment %u (its file bytes are [0x%llx, 0x%llx)): there is no code there; point the PVH note at code",
			       entry, x->idx, (unsigned long long)x->start, (unsigned long long)x->file_end);
		else
			ret = 0;
		goto out;
	}
	errmsg(err, errlen, "PVH entry 0x%x is not inside any loaded segment: point the PVH note at code in a PT_LOAD segment",
	       entry);
out:
	free(r);
	return ret;
}

int elf_load(const void *img, size_t size, void *ram, const struct elf_limits *lim, struct elf_image *out,
	     char *err, size_t errlen)
{
	const uint8_t *b = img;
	Elf64_Ehdr eh;

	if (size == 0)
		return errmsg(err, errlen, "the image is empty (0 bytes)");
	if (size < SELFMAG || memcmp(b, ELFMAG, SELFMAG))
		return errmsg(err, errlen, "not an ELF file (no \\x7fELF magic at offset 0)");
	if (size < EI_NIDENT)
		return errmsg(err, errlen, "truncated ELF header: %zu of %d identification bytes", size, EI_NIDENT);
	if (b[EI_CLASS] != ELFCLASS64)
		return errmsg(err, errlen, "wrong ELF class %s: exitlab needs ELF64",
			    b[EI_CLASS] == ELFCLASS32 ? "ELF32" : "(invalid)");
	if (b[EI_DATA] != ELFDATA2LSB)
		return errmsg(err, errlen, "not a little-endian ELF (EI_DATA=%u)", b[EI_DATA]);
	if (b[EI_VERSION] != EV_CURRENT)
		return errmsg(err, errlen, "ELF identification version %u (EI_VERSION) is not EV_CURRENT (%u): the file is corrupt or not a standard ELF; rebuild the image",
			    b[EI_VERSION], EV_CURRENT);
	if (size < sizeof(eh))
		return errmsg(err, errlen, "truncated ELF header: %zu of %zu bytes", size, sizeof(eh));
	memcpy(&eh, b, sizeof(eh));
	if (eh.e_version != EV_CURRENT)
		return errmsg(err, errlen, "ELF header version %u (e_version) is not EV_CURRENT (%u): the header is corrupt; rebuild the image",
			    eh.e_version, EV_CURRENT);
	if (eh.e_machine != EM_X86_64)
		return errmsg(err, errlen, "wrong machine %u: exitlab needs x86-64 (EM_X86_64 = %u)", eh.e_machine,
			    EM_X86_64);
	if (eh.e_type != ET_EXEC)
		return errmsg(err, errlen, "ELF type %u is not an executable (ET_EXEC): link the guest with -static -no-pie",
			    eh.e_type);
	if (eh.e_phnum == 0)
		return errmsg(err, errlen, "no program headers: nothing to load");
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return errmsg(err, errlen, "program header size %u, expected %zu", eh.e_phentsize, sizeof(Elf64_Phdr));
	if (!in_bounds(eh.e_phoff, (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr), size))
		return errmsg(err, errlen, "truncated program headers: %u headers at offset %llu run past the end (%zu bytes)",
			    eh.e_phnum, (unsigned long long)eh.e_phoff, size);

	*out = (struct elf_image){ .lo = UINT64_MAX };
	bool have_entry = false;
	uint32_t entry = 0;

	/* Pass 1: check every header before touching RAM. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, b + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_NOTE) {
			if (!in_bounds(ph.p_offset, ph.p_filesz, size))
				return errmsg(err, errlen, "truncated PT_NOTE segment %u: [%llu, +%llu) past the end (%zu bytes)",
					    i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz, size);
			int r = have_entry ? 0 : find_pvh_note(b + ph.p_offset, ph.p_filesz, &entry, err, errlen);
			if (r < 0)
				return -1;
			have_entry |= r == 1;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (!in_bounds(ph.p_offset, ph.p_filesz, size))
			return errmsg(err, errlen, "truncated segment %u: file bytes [%llu, +%llu) run past the end of the image (%zu bytes)",
				    i, (unsigned long long)ph.p_offset, (unsigned long long)ph.p_filesz, size);
		if (ph.p_filesz > ph.p_memsz)
			return errmsg(err, errlen, "segment %u: file size %llu is larger than its memory size %llu", i,
				    (unsigned long long)ph.p_filesz, (unsigned long long)ph.p_memsz);
		uint64_t start = ph.p_paddr, end = ph.p_paddr + ph.p_memsz;
		if (end < start || end > lim->ram_size || overlaps(start, end, lim->hole_start, lim->hole_end))
			return errmsg(err, errlen, "segment %u at [0x%llx, 0x%llx) is outside guest RAM [0, 0x%llx) or in the hole [0x%llx, 0x%llx): relink it or give more --mem",
				    i, (unsigned long long)start, (unsigned long long)end,
				    (unsigned long long)lim->ram_size, (unsigned long long)lim->hole_start,
				    (unsigned long long)lim->hole_end);
		if (overlaps(start, end, lim->boot_start, lim->boot_end))
			return errmsg(err, errlen, "segment %u at [0x%llx, 0x%llx) overlaps the boot information at [0x%llx, 0x%llx): link the image at 1 MiB",
				    i, (unsigned long long)start, (unsigned long long)end,
				    (unsigned long long)lim->boot_start, (unsigned long long)lim->boot_end);
		out->lo = start < out->lo ? start : out->lo;
		out->hi = end > out->hi ? end : out->hi;
		out->nr_loads++;
	}
	if (out->nr_loads == 0)
		return errmsg(err, errlen, "no loadable (PT_LOAD) segments: the image is empty");
	if (!have_entry)
		return errmsg(err, errlen, "no PVH entry note (owner \"Xen\", type %d, in a PT_NOTE segment): is this a PVH image?",
			    XEN_ELFNOTE_PHYS32_ENTRY);
	if (check_loads(b, &eh, out->nr_loads, entry, err, errlen))
		return -1;

	/* Pass 2: every check passed; copy and zero the BSS part. */
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, b + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		uint8_t *dst = (uint8_t *)ram + ph.p_paddr;
		memcpy(dst, b + ph.p_offset, ph.p_filesz);
		if (!lim->ram_is_zero)
			memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	out->entry = entry;
	return 0;
}
