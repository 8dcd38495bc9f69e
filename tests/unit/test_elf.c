/*
 * test_elf.c - unit tests of elf_load(), the VMM's ELF64/PVH loader.
 *
 * Each test builds an image in memory with a small builder (ELF64 header,
 * program headers, PT_NOTE segments holding notes, PT_LOAD segments with
 * some bytes and a BSS tail), breaks one thing, and loads it into a 16 MiB
 * host buffer standing for guest RAM, pre-filled with 0xAA. Good images
 * must land byte for byte with their BSS zeroed and nothing else touched;
 * broken ones must fail with -1 and a message naming what is wrong. Every
 * image sits in a malloc() of exactly its size, so a sanitizer build
 * catches any read past the end; a loop feeds every prefix of a good image.
 * The real build/guest.elf is loaded too when it exists, its entry checked
 * against the PVH note found by scanning the file's bytes.
 */
#include <elf.h>
#include <setjmp.h> /* cmocka.h needs these four first */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "pvh.h"

#define MiB (1ull << 20)
#define RAM_SIZE (16 * MiB)
#define LOAD_ADDR (1 * MiB)
#define GUEST_ELF "build/guest.elf"

/* The VMM's limits: 16 MiB of RAM, the legacy hole, boot info low. */
static const struct elf_limits lim = {
	.ram_size = RAM_SIZE,
	.hole_start = 0xA0000,
	.hole_end = 0x100000,
	.boot_start = 0x1000,
	.boot_end = 0x8000,
};

static uint8_t *ram;
static char err[256];

/* --- the image builder ---------------------------------------------------- */

#define MAX_PH 4

/* One program header and the file bytes behind it. */
struct ph_spec {
	uint32_t type;     /* PT_LOAD, PT_NOTE, ... */
	uint64_t paddr;    /* p_paddr = p_vaddr */
	const void *data;  /* p_filesz bytes placed in the file */
	uint64_t filesz;
	uint64_t memsz;    /* PT_LOAD: > filesz gives a BSS tail; 0 means filesz */
};

struct image {
	uint8_t *b;                /* malloc() of exactly size bytes */
	size_t size;
	uint64_t data_off[MAX_PH]; /* p_offset of each header's bytes */
};

/*
 * Lays out [Ehdr][Phdr x n][bytes of header 0][bytes of header 1]..., each
 * run of bytes 8-aligned, so the last header's bytes end the file: any
 * strict prefix of an image whose last header has file bytes is broken.
 */
static struct image image_build(const struct ph_spec *ph, unsigned n, uint64_t entry)
{
	struct image im = { 0 };
	uint64_t off = sizeof(Elf64_Ehdr) + n * sizeof(Elf64_Phdr);

	assert_true(n <= MAX_PH);
	for (unsigned i = 0; i < n; i++) {
		off = (off + 7) & ~7ull;
		im.data_off[i] = off;
		off += ph[i].filesz;
	}
	im.size = off;
	im.b = calloc(1, im.size);
	assert_non_null(im.b);

	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT,
			     ELFOSABI_SYSV },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = entry,
		.e_phoff = sizeof(Elf64_Ehdr),
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_phnum = n,
	};
	memcpy(im.b, &eh, sizeof(eh));
	for (unsigned i = 0; i < n; i++) {
		Elf64_Phdr p = {
			.p_type = ph[i].type,
			.p_flags = PF_R | (ph[i].type == PT_LOAD ? PF_W | PF_X : 0),
			.p_offset = im.data_off[i],
			.p_vaddr = ph[i].paddr,
			.p_paddr = ph[i].paddr,
			.p_filesz = ph[i].filesz,
			.p_memsz = ph[i].memsz ? ph[i].memsz : ph[i].filesz,
			.p_align = ph[i].type == PT_LOAD ? 0x1000 : 4,
		};
		memcpy(im.b + sizeof(eh) + i * sizeof(p), &p, sizeof(p));
		if (ph[i].filesz)
			memcpy(im.b + im.data_off[i], ph[i].data, ph[i].filesz);
	}
	return im;
}

/* The headers, to break them in place (malloc memory is suitably aligned). */
static Elf64_Ehdr *image_ehdr(struct image *im)
{
	return (Elf64_Ehdr *)im->b;
}

static Elf64_Phdr *image_phdr(struct image *im, unsigned i)
{
	return (Elf64_Phdr *)(im->b + sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr));
}

/* An exact-size copy of the first len bytes (len may be 0). */
static struct image image_prefix(const struct image *im, size_t len)
{
	struct image t = *im;
	t.size = len;
	t.b = malloc(len); /* malloc(0) may be NULL: elf_load must not look */
	if (len) {
		assert_non_null(t.b);
		memcpy(t.b, im->b, len);
	}
	return t;
}

static void image_free(struct image *im)
{
	free(im->b);
	im->b = NULL;
}

/* Writes one note (Elf64_Nhdr, name, desc, each padded to 4); returns its length. */
static size_t note_put(uint8_t *p, const char *name, uint32_t namesz, uint32_t type, uint64_t desc,
		       uint32_t descsz)
{
	Elf64_Nhdr nh = { .n_namesz = namesz, .n_descsz = descsz, .n_type = type };
	size_t name_len = (namesz + 3) & ~3u, desc_len = (descsz + 3) & ~3u;

	memset(p, 0, sizeof(nh) + name_len + desc_len);
	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), name, namesz);
	memcpy(p + sizeof(nh) + name_len, &desc, descsz < 8 ? descsz : 8);
	return sizeof(nh) + name_len + desc_len;
}

/* An unrelated note: a GNU build ID. */
static size_t note_put_gnu(uint8_t *p)
{
	static const uint8_t id[20] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	Elf64_Nhdr nh = { .n_namesz = 4, .n_descsz = sizeof(id), .n_type = NT_GNU_BUILD_ID };

	memcpy(p, &nh, sizeof(nh));
	memcpy(p + sizeof(nh), "GNU", 4);
	memcpy(p + sizeof(nh) + 4, id, sizeof(id));
	return sizeof(nh) + 4 + sizeof(id);
}

/* Segment contents: a recognisable pattern, different per seed. */
static void fill_pattern(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + seed * 31 + 1);
}

/*
 * The standard good image: a PVH note (entry LOAD_ADDR + 0x10, 4-byte
 * desc) then one PT_LOAD of 200 bytes with a BSS tail to 0x300 bytes.
 * The load segment's bytes end the file.
 */
static uint8_t good_note[32], good_text[200];

static struct image good_image(void)
{
	fill_pattern(good_text, sizeof(good_text), 1);
	size_t nl = note_put(good_note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR + 0x10, 4);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, good_note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, good_text, sizeof(good_text), 0x300 },
	};
	return image_build(ph, 2, LOAD_ADDR + 0x10);
}

/* --- running the loader ----------------------------------------------------- */

static int run(const struct image *im, struct elf_image *out)
{
	memset(ram, 0xAA, RAM_SIZE);
	memset(err, 'X', sizeof(err));
	return elf_load(im->b, im->size, ram, &lim, out, err, sizeof(err));
}

/* A refused image leaves guest RAM as run() filled it: every check comes
 * before the first byte is copied. */
static void assert_ram_untouched(void)
{
	for (size_t i = 0; i < RAM_SIZE; i++)
		if (ram[i] != 0xAA)
			fail_msg("refused, but RAM at 0x%zx was written (0x%02x): a check came after the copy", i,
				 ram[i]);
}

/* Asserts a refusal whose message contains want (and also2 unless NULL),
 * with RAM untouched. */
static void refused(const struct image *im, const char *want, const char *also2)
{
	struct elf_image out;
	int r = run(im, &out);

	if (r != -1)
		fail_msg("elf_load returned %d, expected -1 (want \"%s\")", r, want);
	if (!memchr(err, '\0', sizeof(err)))
		fail_msg("error message is not NUL-terminated");
	if (!strstr(err, want))
		fail_msg("error \"%s\" lacks \"%s\"", err, want);
	if (also2 && !strstr(err, also2))
		fail_msg("error \"%s\" lacks \"%s\"", err, also2);
	assert_ram_untouched();
}

/* Asserts a successful load. */
static void loaded(const struct image *im, struct elf_image *out)
{
	int r = run(im, out);

	if (r != 0)
		fail_msg("elf_load returned %d: %s", r, err);
}

/* Asserts [paddr, +filesz) holds data, [+filesz, +memsz) is zero, and the
 * bytes just around it were left alone. */
static void assert_segment(uint64_t paddr, const void *data, uint64_t filesz, uint64_t memsz)
{
	assert_memory_equal(ram + paddr, data, filesz);
	for (uint64_t i = filesz; i < memsz; i++)
		if (ram[paddr + i] != 0)
			fail_msg("BSS byte at 0x%llx is 0x%02x, not 0", (unsigned long long)(paddr + i),
				 ram[paddr + i]);
	assert_int_equal(ram[paddr - 1], 0xAA);
	assert_int_equal(ram[paddr + memsz], 0xAA);
}

/* --- good images ------------------------------------------------------------- */

static void test_load_one_segment(void **state)
{
	(void)state;
	struct image im = good_image();
	struct elf_image out;

	loaded(&im, &out);
	assert_int_equal(out.entry, LOAD_ADDR + 0x10);
	assert_int_equal(out.lo, LOAD_ADDR);
	assert_int_equal(out.hi, LOAD_ADDR + 0x300);
	assert_int_equal(out.nr_loads, 1);
	assert_segment(LOAD_ADDR, good_text, sizeof(good_text), 0x300);
	image_free(&im);
}

static void test_load_two_segments(void **state)
{
	(void)state;
	uint8_t note[32], text[0x180], data[0x44];
	fill_pattern(text, sizeof(text), 2);
	fill_pattern(data, sizeof(data), 3);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR + 0x40, 4);
	struct ph_spec ph[] = {
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR + 0x2000, data, sizeof(data), 0x1234 },
	};
	struct image im = image_build(ph, 3, LOAD_ADDR + 0x40);
	struct elf_image out;

	loaded(&im, &out);
	assert_int_equal(out.entry, LOAD_ADDR + 0x40);
	assert_int_equal(out.lo, LOAD_ADDR);
	assert_int_equal(out.hi, LOAD_ADDR + 0x2000 + 0x1234);
	assert_int_equal(out.nr_loads, 2);
	assert_segment(LOAD_ADDR, text, sizeof(text), sizeof(text));
	assert_segment(LOAD_ADDR + 0x2000, data, sizeof(data), 0x1234);
	/* the gap between the segments is untouched */
	assert_int_equal(ram[LOAD_ADDR + 0x1000], 0xAA);
	image_free(&im);
}

static void test_load_pvh_desc_8_bytes(void **state)
{
	(void)state;
	uint8_t note[32], text[64];
	fill_pattern(text, sizeof(text), 4);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR + 0x3f, 8);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
	};
	struct image im = image_build(ph, 2, 0);
	struct elf_image out;

	loaded(&im, &out);
	assert_int_equal(out.entry, LOAD_ADDR + 0x3f); /* the last byte */
	assert_int_equal(out.lo, LOAD_ADDR);
	assert_int_equal(out.hi, LOAD_ADDR + sizeof(text));
	assert_int_equal(out.nr_loads, 1);
	assert_segment(LOAD_ADDR, text, sizeof(text), sizeof(text));
	image_free(&im);
}

/* The first PT_NOTE holds only a GNU build ID; the PVH note is in the second. */
static void test_load_note_in_second_pt_note(void **state)
{
	(void)state;
	uint8_t gnu[64], xen[32], text[96];
	fill_pattern(text, sizeof(text), 5);
	size_t gl = note_put_gnu(gnu);
	size_t xl = note_put(xen, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR + 8, 4);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, gnu, gl, 0 },
		{ PT_NOTE, LOAD_ADDR, xen, xl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0x100 },
	};
	struct image im = image_build(ph, 3, 0);
	struct elf_image out;

	loaded(&im, &out);
	assert_int_equal(out.entry, LOAD_ADDR + 8);
	assert_int_equal(out.lo, LOAD_ADDR);
	assert_int_equal(out.hi, LOAD_ADDR + 0x100);
	assert_int_equal(out.nr_loads, 1);
	assert_segment(LOAD_ADDR, text, sizeof(text), 0x100);
	image_free(&im);
}

/* One PT_NOTE holding a GNU build ID then the PVH note: the walk steps over the first. */
static void test_load_note_second_in_segment(void **state)
{
	(void)state;
	uint8_t notes[96], text[32];
	fill_pattern(text, sizeof(text), 6);
	size_t nl = note_put_gnu(notes);
	nl += note_put(notes + nl, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR, 4);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, notes, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
	};
	struct image im = image_build(ph, 2, 0);
	struct elf_image out;

	loaded(&im, &out);
	assert_int_equal(out.entry, LOAD_ADDR);
	assert_int_equal(out.nr_loads, 1);
	assert_segment(LOAD_ADDR, text, sizeof(text), sizeof(text));
	image_free(&im);
}

/* Reads a whole file into an exact-size buffer; NULL if it cannot be opened. */
static uint8_t *file_read(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *b = malloc((size_t)n);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*size = (size_t)n;
	return b;
}

static void test_load_guest_elf(void **state)
{
	(void)state;
	size_t size = 0;
	uint8_t *b = file_read(GUEST_ELF, &size);
	/* make test builds the guest before the unit tests: its absence is a
	 * broken build, not a reason to skip (cmocka 1.1's TAP skip line also
	 * reads as a failure to prove). */
	if (!b)
		fail_msg(GUEST_ELF " is absent: run make first");

	/* Find the PVH note the way readelf -n shows it, by its bytes alone:
	 * namesz 4, descsz 4 or 8, type 18, name "Xen\0", 4-byte aligned. */
	uint64_t want = 0;
	unsigned found = 0;
	for (size_t o = 0; o + 16 <= size; o += 4) {
		uint32_t w[3];
		memcpy(w, b + o, sizeof(w));
		if (w[0] != 4 || (w[1] != 4 && w[1] != 8) || w[2] != 18 || memcmp(b + o + 12, "Xen", 4))
			continue;
		if (o + 16 + w[1] > size)
			continue;
		uint64_t e = 0;
		memcpy(&e, b + o + 16, w[1]);
		if (found++ == 0)
			want = e;
		else
			assert_int_equal(e, want); /* copies (e.g. in a section) must agree */
	}
	if (!found)
		fail_msg(GUEST_ELF " has no Xen PVH note");

	struct image im = { .b = b, .size = size };
	struct elf_image out;
	loaded(&im, &out);
	assert_int_equal(out.entry, want);
	assert_true(out.nr_loads >= 1);
	assert_true(out.lo >= LOAD_ADDR && out.entry >= out.lo && out.entry < out.hi);

	/* Every PT_LOAD landed: file bytes copied, BSS zeroed. */
	Elf64_Ehdr eh;
	memcpy(&eh, b, sizeof(eh));
	unsigned loads = 0;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, b + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		loads++;
		assert_memory_equal(ram + ph.p_paddr, b + ph.p_offset, ph.p_filesz);
		for (uint64_t j = ph.p_filesz; j < ph.p_memsz; j++)
			if (ram[ph.p_paddr + j])
				fail_msg("BSS byte at 0x%llx not zeroed", (unsigned long long)(ph.p_paddr + j));
	}
	assert_int_equal(out.nr_loads, loads);
	free(b);
}

/* --- refusals: is it an ELF, is it ours -------------------------------------- */

static void test_refuse_empty(void **state)
{
	(void)state;
	struct image im = { .b = malloc(0), .size = 0 };

	refused(&im, "empty (0 bytes)", NULL);
	image_free(&im);
}

static void test_refuse_not_elf(void **state)
{
	(void)state;
	static const char script[] = "#!/bin/sh\necho 'not an ELF'\n";
	struct image im = { .b = malloc(sizeof(script) - 1), .size = sizeof(script) - 1 };

	memcpy(im.b, script, im.size);
	refused(&im, "not an ELF file", NULL);
	image_free(&im);
}

static void test_refuse_short_magic(void **state)
{
	(void)state;
	struct image good = good_image();
	struct image im = image_prefix(&good, 3); /* "\x7fEL" */

	refused(&im, "not an ELF file", NULL);
	image_free(&im);
	image_free(&good);
}

static void test_refuse_truncated_ident(void **state)
{
	(void)state;
	struct image good = good_image();
	struct image im = image_prefix(&good, 10);

	refused(&im, "truncated ELF header: 10 of 16 identification bytes", NULL);
	image_free(&im);
	image_free(&good);
}

static void test_refuse_elf32(void **state)
{
	(void)state;
	struct image im = good_image();

	im.b[EI_CLASS] = ELFCLASS32;
	refused(&im, "wrong ELF class ELF32", NULL);
	im.b[EI_CLASS] = ELFCLASSNONE;
	refused(&im, "wrong ELF class (invalid)", NULL);
	image_free(&im);
}

static void test_refuse_big_endian(void **state)
{
	(void)state;
	struct image im = good_image();

	im.b[EI_DATA] = ELFDATA2MSB;
	refused(&im, "not a little-endian ELF (EI_DATA=2)", NULL);
	image_free(&im);
}

static void test_refuse_ident_version(void **state)
{
	(void)state;
	struct image im = good_image();

	im.b[EI_VERSION] = EV_NONE;
	refused(&im, "ELF identification version 0 (EI_VERSION) is not EV_CURRENT (1)", NULL);
	im.b[EI_VERSION] = 2;
	refused(&im, "ELF identification version 2 (EI_VERSION) is not EV_CURRENT (1)", NULL);
	im.b[EI_VERSION] = 0xff;
	refused(&im, "ELF identification version 255 (EI_VERSION)", NULL);
	image_free(&im);
}

static void test_refuse_e_version(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_version = EV_NONE;
	refused(&im, "ELF header version 0 (e_version) is not EV_CURRENT (1)", NULL);
	image_ehdr(&im)->e_version = 2;
	refused(&im, "ELF header version 2 (e_version) is not EV_CURRENT (1)", NULL);
	image_ehdr(&im)->e_version = UINT32_MAX;
	refused(&im, "ELF header version 4294967295 (e_version)", NULL);
	image_free(&im);
}

static void test_refuse_truncated_header(void **state)
{
	(void)state;
	struct image good = good_image();
	struct image im = image_prefix(&good, 40);

	refused(&im, "truncated ELF header: 40 of 64 bytes", NULL);
	image_free(&im);
	image_free(&good);
}

static void test_refuse_machine_i386(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_machine = EM_386;
	refused(&im, "wrong machine 3:", "x86-64");
	image_free(&im);
}

static void test_refuse_machine_aarch64(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_machine = EM_AARCH64;
	refused(&im, "wrong machine 183:", "x86-64");
	image_free(&im);
}

static void test_refuse_et_dyn(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_type = ET_DYN;
	refused(&im, "ELF type 3 is not an executable", "-no-pie");
	image_free(&im);
}

/* --- refusals: are its headers all there -------------------------------------- */

static void test_refuse_no_phdrs(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_phnum = 0;
	refused(&im, "no program headers", NULL);
	image_free(&im);
}

static void test_refuse_phentsize(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_phentsize = sizeof(Elf32_Phdr);
	refused(&im, "program header size 32, expected 56", NULL);
	image_free(&im);
}

static void test_refuse_phdrs_past_end(void **state)
{
	(void)state;
	struct image im = good_image();

	image_ehdr(&im)->e_phnum = 100;
	refused(&im, "truncated program headers: 100 headers", NULL);
	image_ehdr(&im)->e_phnum = 2;
	image_ehdr(&im)->e_phoff = im.size - sizeof(Elf64_Phdr); /* second runs past */
	refused(&im, "truncated program headers: 2 headers", NULL);
	image_free(&im);
}

static void test_refuse_phoff_overflow(void **state)
{
	(void)state;
	struct image im = good_image();

	/* off + 2 * 56 wraps to a small number: a naive check would pass it */
	image_ehdr(&im)->e_phoff = UINT64_MAX - 50;
	refused(&im, "truncated program headers", NULL);
	image_free(&im);
}

/* --- refusals: do its segments fit -------------------------------------------- */

static void test_refuse_segment_past_end(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 1)->p_filesz += 1;
	refused(&im, "truncated segment 1", "past the end of the image");
	image_free(&im);
}

static void test_refuse_segment_offset_overflow(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 1)->p_offset = UINT64_MAX - 16; /* + 200 wraps */
	refused(&im, "truncated segment 1", NULL);
	image_free(&im);
}

static void test_refuse_note_segment_past_end(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 0)->p_offset = im.size - 4;
	refused(&im, "truncated PT_NOTE segment 0", NULL);
	image_phdr(&im, 0)->p_offset = UINT64_MAX - 4;
	refused(&im, "truncated PT_NOTE segment 0", NULL);
	image_free(&im);
}

static void test_refuse_filesz_above_memsz(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 1)->p_memsz = image_phdr(&im, 1)->p_filesz - 1;
	refused(&im, "segment 1: file size 200 is larger than its memory size 199", NULL);
	image_free(&im);
}

static void test_refuse_segment_above_ram(void **state)
{
	(void)state;
	struct image im = good_image();

	/* straddles the end of RAM */
	image_phdr(&im, 1)->p_paddr = RAM_SIZE - 0x100;
	refused(&im, "segment 1 at [0xffff00, 0x1000200) is outside guest RAM [0, 0x1000000)", NULL);
	/* wholly above it */
	image_phdr(&im, 1)->p_paddr = 2 * RAM_SIZE;
	refused(&im, "segment 1 at [0x2000000, ", "outside guest RAM");
	image_free(&im);
}

static void test_refuse_segment_wraps(void **state)
{
	(void)state;
	struct image im = good_image();

	/* paddr + memsz wraps to 0x200: below ram_size if one forgot the wrap */
	image_phdr(&im, 1)->p_paddr = UINT64_MAX - 0xff;
	refused(&im, "segment 1 at [0xffffffffffffff00, 0x200)", "outside guest RAM");
	image_free(&im);
}

static void test_refuse_segment_in_hole(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 1)->p_paddr = 0xB8000; /* VGA text buffer */
	refused(&im, "segment 1 at [0xb8000, 0xb8300)", "in the hole [0xa0000, 0x100000)");
	/* ending one byte into the hole */
	image_phdr(&im, 1)->p_paddr = 0xA0000 - 0x2ff;
	refused(&im, "segment 1 at [0x9fd01, 0xa0001)", "in the hole");
	image_free(&im);
}

static void test_refuse_segment_over_boot_info(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 1)->p_paddr = 0x7f00; /* [0x7f00, 0x8200) */
	refused(&im, "segment 1 at [0x7f00, 0x8200) overlaps the boot information at [0x1000, 0x8000)", NULL);
	image_phdr(&im, 1)->p_paddr = 0; /* [0, 0x1001): one byte into it */
	image_phdr(&im, 1)->p_memsz = 0x1001;
	refused(&im, "overlaps the boot information", NULL);
	image_free(&im);
}

/* --- refusals: is there a PVH entry ------------------------------------------- */

static void test_refuse_no_pt_load(void **state)
{
	(void)state;
	uint8_t note[32];
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR, 4);
	struct ph_spec ph[] = { { PT_NOTE, LOAD_ADDR, note, nl, 0 } };
	struct image im = image_build(ph, 1, LOAD_ADDR);

	refused(&im, "no loadable (PT_LOAD) segments", NULL);
	image_free(&im);
}

static void test_refuse_no_pvh_note(void **state)
{
	(void)state;
	uint8_t gnu[64], text[32];
	fill_pattern(text, sizeof(text), 7);

	/* no PT_NOTE at all */
	struct ph_spec ph1[] = { { PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 } };
	struct image im = image_build(ph1, 1, LOAD_ADDR);
	refused(&im, "no PVH entry note", "type 18");
	image_free(&im);

	/* a PT_NOTE with only a GNU build ID */
	size_t gl = note_put_gnu(gnu);
	struct ph_spec ph2[] = {
		{ PT_NOTE, LOAD_ADDR, gnu, gl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
	};
	im = image_build(ph2, 2, LOAD_ADDR);
	refused(&im, "no PVH entry note", NULL);
	image_free(&im);
}

/* Type 18 under another owner is someone else's note, not a PVH entry. */
static void test_refuse_note_wrong_owner(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t namesz;
	} owners[] = {
		{ "Xe", 3 },    /* "Xe\0" */
		{ "GNU", 4 },
		{ "Xen", 3 },   /* no NUL counted */
		{ "XenX", 5 },  /* "XenX\0" */
	};
	uint8_t note[32], text[32];
	fill_pattern(text, sizeof(text), 8);

	for (size_t i = 0; i < sizeof(owners) / sizeof(owners[0]); i++) {
		size_t nl = note_put(note, owners[i].name, owners[i].namesz, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR, 4);
		struct ph_spec ph[] = {
			{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
			{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
		};
		struct image im = image_build(ph, 2, LOAD_ADDR);
		refused(&im, "no PVH entry note", NULL);
		image_free(&im);
	}
}

static void test_refuse_note_descsz_2(void **state)
{
	(void)state;
	uint8_t note[32], text[32];
	fill_pattern(text, sizeof(text), 9);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR, 2);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
	};
	struct image im = image_build(ph, 2, LOAD_ADDR);

	refused(&im, "PVH note has a 2-byte entry; expected 4 or 8", NULL);
	image_free(&im);
}

static void test_refuse_note_truncated(void **state)
{
	(void)state;
	struct image im = good_image();
	Elf64_Nhdr *nh = (Elf64_Nhdr *)(im.b + im.data_off[0]);

	nh->n_namesz = UINT32_MAX; /* rounding up to 4 must not wrap to 0 */
	refused(&im, "truncated ELF note at offset 0", NULL);
	nh->n_namesz = 4;
	nh->n_descsz = UINT32_MAX - 2;
	refused(&im, "truncated ELF note at offset 0", NULL);
	nh->n_descsz = 8; /* one word past the PT_NOTE's 20 bytes */
	refused(&im, "truncated ELF note at offset 0", NULL);
	image_free(&im);
}

static void test_refuse_entry_above_4g(void **state)
{
	(void)state;
	uint8_t note[32], text[32];
	fill_pattern(text, sizeof(text), 10);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, (1ull << 32) + LOAD_ADDR, 8);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
	};
	struct image im = image_build(ph, 2, LOAD_ADDR);

	refused(&im, "PVH entry 0x100100000 is above 4 GiB", NULL);
	image_free(&im);
}

static void test_refuse_entry_outside_segments(void **state)
{
	(void)state;
	struct image im = good_image();
	uint8_t *desc = im.b + im.data_off[0] + sizeof(Elf64_Nhdr) + 4;
	uint32_t e;

	e = 2 * MiB;
	memcpy(desc, &e, 4);
	refused(&im, "PVH entry 0x200000 is not inside any loaded segment", NULL);
	e = LOAD_ADDR + 0x300; /* one past the segment's end */
	memcpy(desc, &e, 4);
	refused(&im, "PVH entry 0x100300 is not inside any loaded segment", NULL);
	e = LOAD_ADDR - 1; /* one before its start */
	memcpy(desc, &e, 4);
	refused(&im, "PVH entry 0xfffff is not inside any loaded segment", NULL);
	image_free(&im);
}

/* Two PT_LOADs, [LOAD_ADDR, +0x100) and [LOAD_ADDR + off2, +0x100). */
static struct image two_loads(uint64_t off2)
{
	static uint8_t note[32], text[0x100], data[0x100];
	fill_pattern(text, sizeof(text), 13);
	fill_pattern(data, sizeof(data), 14);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR, 4);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
		{ PT_LOAD, LOAD_ADDR + off2, data, sizeof(data), 0 },
	};
	return image_build(ph, 3, LOAD_ADDR);
}

/* Segments that touch but do not overlap load, both of them. */
static void test_load_adjacent_segments(void **state)
{
	(void)state;
	struct image im = two_loads(0x100);
	struct elf_image out;

	loaded(&im, &out);
	assert_int_equal(out.nr_loads, 2);
	assert_int_equal(out.lo, LOAD_ADDR);
	assert_int_equal(out.hi, LOAD_ADDR + 0x200);
	assert_memory_equal(ram + LOAD_ADDR, im.b + im.data_off[1], 0x100);
	assert_memory_equal(ram + LOAD_ADDR + 0x100, im.b + im.data_off[2], 0x100);
	image_free(&im);
}

static void test_refuse_overlapping_segments(void **state)
{
	(void)state;
	struct image im = two_loads(0xff); /* one byte in common */

	refused(&im, "segments 1 at [0x100000, 0x100100) and 2 at [0x1000ff, 0x1001ff) overlap", "linker script");
	image_free(&im);

	im = two_loads(0); /* the same range twice */
	refused(&im, "segments 1 at [0x100000, 0x100100) and 2 at [0x100000, 0x100100) overlap", NULL);
	image_free(&im);

	im = two_loads(0x200); /* segment 2 lands in segment 1's BSS */
	image_phdr(&im, 1)->p_memsz = 0x201;
	refused(&im, "segments 1 at [0x100000, 0x100201) and 2 at [0x100200, 0x100300) overlap", NULL);
	image_free(&im);

	im = two_loads(0xf80); /* segment 2 below segment 1, reaching into it */
	uint32_t e = LOAD_ADDR + 0x1000;
	memcpy(im.b + im.data_off[0] + sizeof(Elf64_Nhdr) + 4, &e, 4);
	image_phdr(&im, 1)->p_paddr = e;
	refused(&im, "segments 1 at [0x101000, 0x101100) and 2 at [0x100f80, 0x101080) overlap", NULL);
	image_phdr(&im, 2)->p_paddr = LOAD_ADDR + 0xf00; /* now touching, not overlapping */
	struct elf_image out;
	loaded(&im, &out);
	assert_int_equal(out.lo, LOAD_ADDR + 0xf00);
	image_free(&im);
}

/* Three PT_LOADs where only the first and the third overlap, the third
 * inside the first: not neighbours in header order nor by address. */
static void test_refuse_overlap_not_neighbours(void **state)
{
	(void)state;
	uint8_t note[32], a[0x40], b[0x40], c[0x10];
	fill_pattern(a, sizeof(a), 15);
	fill_pattern(b, sizeof(b), 16);
	fill_pattern(c, sizeof(c), 17);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR, 4);
	struct ph_spec ph[] = {
		{ PT_LOAD, LOAD_ADDR, a, sizeof(a), 0x3000 },
		{ PT_LOAD, LOAD_ADDR + 0x3000, b, sizeof(b), 0 },
		{ PT_LOAD, LOAD_ADDR + 0x2000, c, sizeof(c), 0 },
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
	};
	struct image im = image_build(ph, 4, LOAD_ADDR);

	refused(&im, "segments 0 at [0x100000, 0x103000) and 2 at [0x102000, 0x102010) overlap", NULL);
	/* moved clear of the first, the third loads */
	image_phdr(&im, 2)->p_paddr = LOAD_ADDR + 0x4000;
	struct elf_image out;
	loaded(&im, &out);
	assert_int_equal(out.nr_loads, 3);
	image_free(&im);
}

/* The entry must be in code: a PT_LOAD with PF_X, in its file bytes. */
static void test_refuse_entry_not_executable(void **state)
{
	(void)state;
	struct image im = good_image();

	image_phdr(&im, 1)->p_flags = PF_R | PF_W;
	refused(&im, "PVH entry 0x100010 is in segment 1 at [0x100000, 0x100300), which is not executable (no PF_X)", NULL);
	image_phdr(&im, 1)->p_flags = PF_R;
	refused(&im, "which is not executable (no PF_X)", NULL);
	image_phdr(&im, 1)->p_flags = PF_X;
	struct elf_image out;
	loaded(&im, &out);
	assert_int_equal(out.entry, LOAD_ADDR + 0x10);
	image_free(&im);
}

static void test_refuse_entry_in_bss(void **state)
{
	(void)state;
	struct image im = good_image(); /* file bytes [0x100000, 0x1000c8), BSS to 0x100300 */
	uint8_t *desc = im.b + im.data_off[0] + sizeof(Elf64_Nhdr) + 4;
	struct elf_image out;
	uint32_t e;

	e = LOAD_ADDR + sizeof(good_text); /* the first byte of the BSS */
	memcpy(desc, &e, 4);
	refused(&im, "PVH entry 0x1000c8 is in the BSS of segment 1 (its file bytes are [0x100000, 0x1000c8))", NULL);
	e = LOAD_ADDR + 0x2ff; /* the last */
	memcpy(desc, &e, 4);
	refused(&im, "PVH entry 0x1002ff is in the BSS of segment 1", NULL);
	e = LOAD_ADDR + sizeof(good_text) - 1; /* the last file byte is code */
	memcpy(desc, &e, 4);
	loaded(&im, &out);
	assert_int_equal(out.entry, e);
	image_free(&im);
}

/* Every strict prefix of a good image is refused, without reading past it. */
static void test_refuse_every_prefix(void **state)
{
	(void)state;
	uint8_t note[32], text[0x40], data[0x18];
	fill_pattern(text, sizeof(text), 11);
	fill_pattern(data, sizeof(data), 12);
	size_t nl = note_put(note, XEN_ELFNOTE_OWNER, 4, XEN_ELFNOTE_PHYS32_ENTRY, LOAD_ADDR + 4, 4);
	struct ph_spec ph[] = {
		{ PT_NOTE, LOAD_ADDR, note, nl, 0 },
		{ PT_LOAD, LOAD_ADDR, text, sizeof(text), 0 },
		{ PT_LOAD, LOAD_ADDR + 0x1000, data, sizeof(data), 0x100 },
	};
	struct image good = image_build(ph, 3, LOAD_ADDR + 4);
	struct elf_image out;

	for (size_t len = 0; len <= good.size; len++) {
		struct image im = image_prefix(&good, len);
		int r = run(&im, &out);
		if (len < good.size && r != -1)
			fail_msg("prefix of %zu of %zu bytes: elf_load returned %d", len, good.size, r);
		if (len < good.size && !memchr(err, '\0', sizeof(err)))
			fail_msg("prefix of %zu bytes: error message not NUL-terminated", len);
		if (len == good.size && r != 0)
			fail_msg("the whole image (%zu bytes) failed: %s", len, err);
		image_free(&im);
	}
	assert_int_equal(out.nr_loads, 2);
	assert_segment(LOAD_ADDR + 0x1000, data, sizeof(data), 0x100);
	image_free(&good);
}

/* --- the group ------------------------------------------------------------------- */

static int group_setup(void **state)
{
	(void)state;
	ram = malloc(RAM_SIZE);
	return ram ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	free(ram);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_one_segment),
		cmocka_unit_test(test_load_two_segments),
		cmocka_unit_test(test_load_pvh_desc_8_bytes),
		cmocka_unit_test(test_load_note_in_second_pt_note),
		cmocka_unit_test(test_load_note_second_in_segment),
		cmocka_unit_test(test_load_guest_elf),
		cmocka_unit_test(test_refuse_empty),
		cmocka_unit_test(test_refuse_not_elf),
		cmocka_unit_test(test_refuse_short_magic),
		cmocka_unit_test(test_refuse_truncated_ident),
		cmocka_unit_test(test_refuse_elf32),
		cmocka_unit_test(test_refuse_big_endian),
		cmocka_unit_test(test_refuse_ident_version),
		cmocka_unit_test(test_refuse_e_version),
		cmocka_unit_test(test_refuse_truncated_header),
		cmocka_unit_test(test_refuse_machine_i386),
		cmocka_unit_test(test_refuse_machine_aarch64),
		cmocka_unit_test(test_refuse_et_dyn),
		cmocka_unit_test(test_refuse_no_phdrs),
		cmocka_unit_test(test_refuse_phentsize),
		cmocka_unit_test(test_refuse_phdrs_past_end),
		cmocka_unit_test(test_refuse_phoff_overflow),
		cmocka_unit_test(test_refuse_segment_past_end),
		cmocka_unit_test(test_refuse_segment_offset_overflow),
		cmocka_unit_test(test_refuse_note_segment_past_end),
		cmocka_unit_test(test_refuse_filesz_above_memsz),
		cmocka_unit_test(test_refuse_segment_above_ram),
		cmocka_unit_test(test_refuse_segment_wraps),
		cmocka_unit_test(test_refuse_segment_in_hole),
		cmocka_unit_test(test_refuse_segment_over_boot_info),
		cmocka_unit_test(test_refuse_no_pt_load),
		cmocka_unit_test(test_refuse_no_pvh_note),
		cmocka_unit_test(test_refuse_note_wrong_owner),
		cmocka_unit_test(test_refuse_note_descsz_2),
		cmocka_unit_test(test_refuse_note_truncated),
		cmocka_unit_test(test_refuse_entry_above_4g),
		cmocka_unit_test(test_refuse_entry_outside_segments),
		cmocka_unit_test(test_load_adjacent_segments),
		cmocka_unit_test(test_refuse_overlapping_segments),
		cmocka_unit_test(test_refuse_overlap_not_neighbours),
		cmocka_unit_test(test_refuse_entry_not_executable),
		cmocka_unit_test(test_refuse_entry_in_bss),
		cmocka_unit_test(test_refuse_every_prefix),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
