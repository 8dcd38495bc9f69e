/*
 * acpi.c - find the ECAM window the way firmware-booted code does: RSDP ->
 * XSDT (or RSDT) -> MCFG (DESIGN.md, "Boot contract"); where there is no
 * MCFG (QEMU's microvm with pcie=on), FADT -> DSDT -> the PCI Express host
 * bridge's _CBA and _CRS, read by a scan of the AML that understands the
 * namespace-building terms and nothing else (no interpreter: a _CBA that
 * is not a constant is reported, not evaluated). The layouts are
 * common/acpi_spec.h's, the ones the VMM builds its tables with.
 *
 * Tables are read in place through the identity map, so every address must
 * lie below 4 GiB (entry.S maps no more) and every length is checked before
 * it is trusted: an SDT must be at least a header and at most
 * ACPI_TABLE_MAX bytes, and its bytes must sum to 0. Whoever wrote them
 * (the VMM, QEMU, firmware) is not trusted to have got them right. The
 * AML scan reads only inside the DSDT's checked length: every PkgLength
 * must fit inside its parent's, every name and constant inside that, the
 * nesting is bounded (ACPI_AML_DEPTH_MAX), and each step moves forward, so
 * it ends; anything it does not understand stops it with a message naming
 * the offset.
 */
#include "acpi.h"

#include "acpi_spec.h"
#include "cpu.h"
#include "lib.h"
#include "pci_access.h"

#define ACPI_TABLE_MAX (64 * 1024) /* no table we walk is anywhere near this */
#define ACPI_PHYS_LIMIT (1ull << 32) /* the identity map ends here */

/* The bytes at physical address addr, through the identity map. */
static const void *acpi_phys(uint64_t addr)
{
	return (const void *)(uintptr_t)addr;
}

static bool acpi_range_ok(uint64_t addr, uint64_t len)
{
	return addr && addr < ACPI_PHYS_LIMIT && len <= ACPI_PHYS_LIMIT - addr;
}

/* A valid RSDP at addr: signature and the checksum(s) its revision has. */
static bool acpi_rsdp_ok(uint64_t addr)
{
	const struct acpi_rsdp *r = acpi_phys(addr);

	if (!acpi_range_ok(addr, sizeof(*r)) || memcmp(r->signature, ACPI_SIG_RSDP, 8) ||
	    acpi_checksum(r, ACPI_RSDP_V1_LENGTH))
		return false;
	return r->revision < ACPI_RSDP_REVISION_2 ||
	       (r->length >= sizeof(*r) && acpi_checksum(r, sizeof(*r)) == 0);
}

/* The legacy search (ACPI 6.5 §5.2.5.1): first KiB of the EBDA, then the
 * BIOS area 0xE0000-0xFFFFF, on 16-byte boundaries. */
static uint64_t acpi_rsdp_scan(void)
{
	uintptr_t bda_ebda = ACPI_EBDA_SEGMENT_PTR; /* BDA: the EBDA's segment */
	__asm__("" : "+r"(bda_ebda)); /* GCC takes addresses below 4 KiB for NULL + n */
	uint64_t ebda = (uint64_t)mmio_read16(bda_ebda) << 4;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		for (uint64_t a = ebda; a < ebda + ACPI_EBDA_SEARCH_LEN; a += ACPI_RSDP_ALIGN)
			if (acpi_rsdp_ok(a))
				return a;
	for (uint64_t a = ACPI_BIOS_AREA_START; a < ACPI_BIOS_AREA_END; a += ACPI_RSDP_ALIGN)
		if (acpi_rsdp_ok(a))
			return a;
	return 0;
}

/* The SDT at addr if its length is sane and its checksum right, else NULL. */
static const struct acpi_sdt_header *acpi_sdt_get(uint64_t addr)
{
	const struct acpi_sdt_header *h = acpi_phys(addr);

	if (!acpi_range_ok(addr, sizeof(*h)) || h->length < sizeof(*h) || h->length > ACPI_TABLE_MAX ||
	    !acpi_range_ok(addr, h->length) || acpi_checksum(h, h->length))
		return NULL;
	return h;
}

/* --- RSDP -> root table ------------------------------------------------------ */

struct acpi_root {
	uint64_t rsdp_addr, addr;
	const char *from, *name; /* where the RSDP came from; "XSDT" or "RSDT" */
	bool x;                  /* 64-bit entries */
	const struct acpi_sdt_header *hdr;
	unsigned n;              /* entries */
};

/* The RSDP and its root table, else false after printing why (if !quiet). */
static bool acpi_root_get(const struct hvm_start_info *si, bool scan_bios, bool quiet, struct acpi_root *r)
{
	*r = (struct acpi_root){ .rsdp_addr = si->rsdp_paddr, .from = "hvm_start_info.rsdp_paddr" };
	if (!r->rsdp_addr && scan_bios) {
		r->rsdp_addr = acpi_rsdp_scan();
		r->from = "a scan of the EBDA and BIOS area";
	}
	if (!r->rsdp_addr) {
		if (!quiet)
			printf("acpi: no RSDP (hvm_start_info.rsdp_paddr is 0%s)\n",
			       scan_bios ? ", none in the BIOS area" : "");
		return false;
	}
	if (!acpi_rsdp_ok(r->rsdp_addr)) {
		if (!quiet)
			printf("acpi: RSDP at 0x%lx (from %s) is invalid: bad signature or checksum\n", r->rsdp_addr,
			       r->from);
		return false;
	}
	/* XSDT entries are 64-bit, RSDT entries 32-bit; same header. */
	const struct acpi_rsdp *rsdp = acpi_phys(r->rsdp_addr);
	r->x = rsdp->revision >= ACPI_RSDP_REVISION_2 && rsdp->xsdt_address;
	r->addr = r->x ? rsdp->xsdt_address : rsdp->rsdt_address;
	r->hdr = acpi_sdt_get(r->addr);
	r->name = r->x ? ACPI_SIG_XSDT : ACPI_SIG_RSDT;
	if (!r->hdr || memcmp(r->hdr->signature, r->name, 4)) {
		if (!quiet)
			printf("acpi: RSDP at 0x%lx (from %s): %s at 0x%lx is invalid\n", r->rsdp_addr, r->from,
			       r->name, r->addr);
		return false;
	}
	r->n = (r->hdr->length - (uint32_t)sizeof(*r->hdr)) / (r->x ? 8u : 4u);
	return true;
}

/* The first valid table with signature sig among the root's entries. */
static const struct acpi_sdt_header *acpi_table_find(const struct acpi_root *r, const char *sig, uint64_t *at)
{
	const struct acpi_table_xsdt *xsdt = (const void *)r->hdr;
	const struct acpi_table_rsdt *rsdt = (const void *)r->hdr;

	for (unsigned i = 0; i < r->n; i++) {
		uint64_t a = r->x ? xsdt->entry[i] : rsdt->entry[i];
		const struct acpi_sdt_header *h = acpi_phys(a);
		if (acpi_range_ok(a, sizeof(*h)) && !memcmp(h->signature, sig, 4)) {
			const struct acpi_sdt_header *ok = acpi_sdt_get(a);
			if (ok) {
				*at = a;
				return ok;
			}
		}
	}
	return NULL;
}

/* A little-endian field of the FADT at off, if the table is that long. */
static bool acpi_fadt_field(const struct acpi_sdt_header *fadt, uint32_t off, unsigned size, uint64_t *v)
{
	if (fadt->length < off + size)
		return false;
	*v = 0;
	memcpy(v, (const uint8_t *)fadt + off, size);
	return true;
}

/* The DSDT the FADT names (X_DSDT when set, else DSDT), or NULL. */
static const struct acpi_sdt_header *acpi_dsdt_get(const struct acpi_sdt_header *fadt, uint64_t *at)
{
	uint64_t a = 0;

	if (!acpi_fadt_field(fadt, ACPI_FADT_X_DSDT_OFFSET, 8, &a) || !a)
		acpi_fadt_field(fadt, ACPI_FADT_DSDT_OFFSET, 4, &a);
	*at = a;
	const struct acpi_sdt_header *h = a ? acpi_sdt_get(a) : NULL;
	return h && !memcmp(h->signature, ACPI_SIG_DSDT, 4) ? h : NULL;
}

/* --- The AML scan --------------------------------------------------------------- */

#define ACPI_AML_DEPTH_MAX 16 /* Scope/Device nesting; QEMU's DSDTs use 3 */

struct aml_dev {       /* what one Device() declared */
	char name[5];
	bool pcie_host;    /* _HID or _CID PNP0A08 */
	bool have_cba, cba_computed, have_seg, have_bus, have_mem, have_io;
	uint64_t cba, seg, bbn;
	uint64_t bus_min, bus_max, mem_min, mem_max, io_min, io_max;
};

struct aml_scan {
	const uint8_t *base; /* the DSDT, for offsets in messages */
	const char *error;   /* set: the scan stopped */
	uint32_t error_at;
	unsigned hosts;      /* PNP0A08 devices seen */
	bool found;          /* host: the first one of segment 0 */
	struct aml_dev host;
};

static bool aml_fail(struct aml_scan *s, const uint8_t *at, const char *why)
{
	if (!s->error) {
		s->error = why;
		s->error_at = (uint32_t)(at - s->base);
	}
	return false;
}

/* PkgLength at *p: on success *p is past it and *end the package's end. */
static bool aml_pkglen(struct aml_scan *s, const uint8_t **p, const uint8_t *lim, const uint8_t **end)
{
	const uint8_t *start = *p;
	if (start >= lim)
		return aml_fail(s, start, "PkgLength past the end of its parent");
	unsigned follow = start[0] >> 6;
	uint32_t len = start[0] & 0x3f;

	if ((size_t)(lim - start) < 1 + follow)
		return aml_fail(s, start, "PkgLength past the end of its parent");
	if (follow) {
		if (start[0] & 0x30)
			return aml_fail(s, start, "PkgLength with reserved bits set");
		len = start[0] & 0x0f;
		for (unsigned i = 0; i < follow; i++)
			len |= (uint32_t)start[1 + i] << (4 + 8 * i);
	}
	if (len < 1 + follow || len > (size_t)(lim - start))
		return aml_fail(s, start, "package length runs past the end of its parent (or is shorter than itself)");
	*p = start + 1 + follow;
	*end = start + len;
	return true;
}

static bool aml_lead_name_char(uint8_t c) { return (c >= 'A' && c <= 'Z') || c == '_'; }
static bool aml_name_char(uint8_t c) { return aml_lead_name_char(c) || (c >= '0' && c <= '9'); }

/* A NameString; seg gets its last NameSeg ("" for NullName). */
static bool aml_namestring(struct aml_scan *s, const uint8_t **p, const uint8_t *lim, char seg[5])
{
	const uint8_t *q = *p;
	unsigned nsegs = 1;

	if (q < lim && *q == AML_ROOT_CHAR)
		q++;
	else
		while (q < lim && *q == AML_PARENT_PREFIX)
			q++;
	if (q >= lim)
		return aml_fail(s, q, "name past the end of its package");
	if (*q == AML_ZERO_OP) { /* NullName */
		seg[0] = '\0';
		*p = q + 1;
		return true;
	}
	if (*q == AML_DUAL_NAME_PREFIX) {
		nsegs = 2;
		q++;
	} else if (*q == AML_MULTI_NAME_PREFIX) {
		if (lim - q < 2 || q[1] == 0)
			return aml_fail(s, q, "bad MultiNamePrefix");
		nsegs = q[1];
		q += 2;
	}
	if ((size_t)(lim - q) < 4u * nsegs)
		return aml_fail(s, q, "name past the end of its package");
	for (unsigned i = 0; i < nsegs; i++, q += 4) {
		if (!aml_lead_name_char(q[0]) || !aml_name_char(q[1]) || !aml_name_char(q[2]) || !aml_name_char(q[3]))
			return aml_fail(s, q, "not a NameSeg");
	}
	memcpy(seg, q - 4, 4);
	seg[4] = '\0';
	*p = q;
	return true;
}

/* An integer constant (ConstObj or Byte/Word/DWord/QWordConst), else false
 * (not a failure by itself: the caller says what it needed). */
static bool aml_integer(const uint8_t **p, const uint8_t *lim, uint64_t *v)
{
	const uint8_t *q = *p;
	unsigned n;

	if (q >= lim)
		return false;
	switch (*q) {
	case AML_ZERO_OP: *v = 0; *p = q + 1; return true;
	case AML_ONE_OP: *v = 1; *p = q + 1; return true;
	case AML_ONES_OP: *v = ~0ull; *p = q + 1; return true;
	case AML_BYTE_PREFIX: n = 1; break;
	case AML_WORD_PREFIX: n = 2; break;
	case AML_DWORD_PREFIX: n = 4; break;
	case AML_QWORD_PREFIX: n = 8; break;
	default: return false;
	}
	if ((size_t)(lim - q) < 1 + n)
		return false;
	*v = 0;
	memcpy(v, q + 1, n);
	*p = q + 1 + n;
	return true;
}

/* A String constant: its bytes [*str, *str + *len), NUL not counted. */
static bool aml_string(const uint8_t **p, const uint8_t *lim, const char **str, size_t *len)
{
	const uint8_t *q = *p;

	if (q >= lim || *q != AML_STRING_PREFIX)
		return false;
	for (const uint8_t *e = q + 1; e < lim; e++)
		if (*e == 0) {
			*str = (const char *)(q + 1);
			*len = (size_t)(e - q - 1);
			*p = e + 1;
			return true;
		}
	return false;
}

/* Skips a DataRefObject (a Name's value). */
static bool aml_data_skip(struct aml_scan *s, const uint8_t **p, const uint8_t *lim)
{
	uint64_t v;
	const char *str;
	size_t len;
	const uint8_t *end;

	if (aml_integer(p, lim, &v) || aml_string(p, lim, &str, &len))
		return true;
	if (*p < lim && (**p == AML_BUFFER_OP || **p == AML_PACKAGE_OP || **p == AML_VAR_PACKAGE_OP)) {
		++*p;
		if (!aml_pkglen(s, p, lim, &end))
			return false;
		*p = end;
		return true;
	}
	if (lim - *p >= 2 && (*p)[0] == AML_EXT_OP_PREFIX && (*p)[1] == AML_EXT_REVISION_OP) {
		*p += 2;
		return true;
	}
	return aml_fail(s, *p, "a Name's value is not a constant, string, buffer or package");
}

/* The resource template of a _CRS buffer: the bus range, the first memory
 * range below 4 GiB and the first I/O range of the host bridge (ACPI 6.5
 * §6.4.3.5). */
static void aml_crs(const uint8_t *q, const uint8_t *lim, struct aml_dev *d)
{
	while (q < lim) {
		uint8_t tag = q[0];
		size_t item, dlen;
		const uint8_t *data;

		if (tag & ACPI_RES_LARGE) {
			if (lim - q < 3)
				return;
			dlen = (size_t)q[1] | (size_t)q[2] << 8;
			data = q + 3;
			item = 3 + dlen;
		} else {
			if (((tag >> 3) & 0x0f) == ACPI_RES_SMALL_END_TAG)
				return;
			dlen = tag & 7;
			data = q + 1;
			item = 1 + dlen;
		}
		if (item > (size_t)(lim - q))
			return; /* cut short: what came before stands */
		unsigned w = tag == ACPI_RES_WORD_ADDRESS ? 2 : tag == ACPI_RES_DWORD_ADDRESS ? 4
			     : tag == ACPI_RES_QWORD_ADDRESS ? 8 : 0;
		if (w && dlen >= ACPI_RES_ADDR_FIELDS + 5u * w) {
			uint64_t min = 0, max = 0, tra = 0;
			memcpy(&min, data + ACPI_RES_ADDR_FIELDS + w, w);
			memcpy(&max, data + ACPI_RES_ADDR_FIELDS + 2 * w, w);
			memcpy(&tra, data + ACPI_RES_ADDR_FIELDS + 3 * w, w);
			if (data[0] == ACPI_RES_TYPE_BUS && !d->have_bus && min <= max && max <= 255) {
				d->have_bus = true;
				d->bus_min = min;
				d->bus_max = max;
			} else if (data[0] == ACPI_RES_TYPE_MEMORY && !d->have_mem && !tra && min < max &&
				   max < ACPI_PHYS_LIMIT) {
				d->have_mem = true;
				d->mem_min = min;
				d->mem_max = max;
			} else if (data[0] == ACPI_RES_TYPE_IO && !d->have_io && min < max && max <= 0xffff) {
				d->have_io = true; /* the I/O port window (ISA-style translation ignored) */
				d->io_min = min;
				d->io_max = max;
			}
		}
		q += item;
	}
}

static bool aml_is_pcie_host_id(const uint8_t **p, const uint8_t *lim)
{
	const char *str;
	size_t len;
	uint64_t v;

	if (aml_string(p, lim, &str, &len))
		return len == 7 && !memcmp(str, ACPI_PNP_PCIE_HOST, 7);
	if (aml_integer(p, lim, &v))
		return v == ACPI_EISAID_PCIE_HOST;
	return false;
}

/* Name(seg, value) inside Device d (or outside any, d NULL). */
static bool aml_name(struct aml_scan *s, const uint8_t **p, const uint8_t *lim, const char *seg, struct aml_dev *d)
{
	const uint8_t *q = *p;

	if (d && (!strcmp(seg, "_HID") || !strcmp(seg, "_CID")) && aml_is_pcie_host_id(&q, lim)) {
		d->pcie_host = true;
		*p = q;
		return true;
	}
	q = *p;
	if (d && !strcmp(seg, "_SEG") && aml_integer(&q, lim, &d->seg)) {
		d->have_seg = true;
		*p = q;
		return true;
	}
	if (d && !strcmp(seg, "_BBN") && aml_integer(&q, lim, &d->bbn)) {
		*p = q;
		return true;
	}
	if (d && !strcmp(seg, "_CBA") && aml_integer(&q, lim, &d->cba)) {
		d->have_cba = true;
		*p = q;
		return true;
	}
	if (d && !strcmp(seg, "_CRS") && q < lim && *q == AML_BUFFER_OP) {
		const uint8_t *end;
		uint64_t size;
		q++;
		if (!aml_pkglen(s, &q, lim, &end))
			return false;
		if (!aml_integer(&q, end, &size))
			return aml_fail(s, q, "_CRS buffer size is not a constant");
		aml_crs(q, end, d);
		*p = end;
		return true;
	}
	return aml_data_skip(s, p, lim);
}

static bool aml_termlist(struct aml_scan *s, const uint8_t *p, const uint8_t *lim, unsigned depth,
			 struct aml_dev *d);

/* Device(name) { ... }: scanned; a PCI Express host bridge is kept. */
static bool aml_device(struct aml_scan *s, const uint8_t **p, const uint8_t *lim, unsigned depth)
{
	const uint8_t *end;
	struct aml_dev dev = { .name = "" };

	if (!aml_pkglen(s, p, lim, &end) || !aml_namestring(s, p, end, dev.name) ||
	    !aml_termlist(s, *p, end, depth + 1, &dev))
		return false;
	if (dev.pcie_host) {
		s->hosts++;
		if (!s->found && dev.seg == 0) {
			s->found = true;
			s->host = dev;
		}
	}
	*p = end;
	return true;
}

/* Method(name, flags) { ... }: skipped, but a _CBA's body read when it is
 * Return(constant), as QEMU's is. */
static bool aml_method(struct aml_scan *s, const uint8_t **p, const uint8_t *lim, struct aml_dev *d)
{
	const uint8_t *end;
	char seg[5];

	if (!aml_pkglen(s, p, lim, &end) || !aml_namestring(s, p, end, seg))
		return false;
	if (*p >= end)
		return aml_fail(s, *p, "method without its flags");
	const uint8_t *q = *p + 1; /* MethodFlags */
	if (d && !strcmp(seg, "_CBA")) {
		if (q < end && *q == AML_RETURN_OP && (q++, aml_integer(&q, end, &d->cba)) && q == end)
			d->have_cba = true;
		else
			d->cba_computed = true;
	}
	*p = end;
	return true;
}

/* A TermList of namespace terms: what a DSDT's top level, a Scope and a
 * Device hold. Anything else stops the scan. */
static bool aml_termlist(struct aml_scan *s, const uint8_t *p, const uint8_t *lim, unsigned depth,
			 struct aml_dev *d)
{
	char seg[5];
	const uint8_t *end;
	uint64_t v;

	if (depth > ACPI_AML_DEPTH_MAX)
		return aml_fail(s, p, "Scopes and Devices nested too deep");
	while (p < lim) {
		const uint8_t *op = p++;
		switch (*op) {
		case AML_SCOPE_OP:
			if (!aml_pkglen(s, &p, lim, &end) || !aml_namestring(s, &p, end, seg) ||
			    !aml_termlist(s, p, end, depth + 1, NULL))
				return false;
			p = end;
			continue;
		case AML_NAME_OP:
			if (!aml_namestring(s, &p, lim, seg) || !aml_name(s, &p, lim, seg, d))
				return false;
			continue;
		case AML_METHOD_OP:
			if (!aml_method(s, &p, lim, d))
				return false;
			continue;
		case AML_IF_OP: case AML_ELSE_OP: case AML_WHILE_OP:
		case AML_BUFFER_OP: case AML_PACKAGE_OP: case AML_VAR_PACKAGE_OP:
			if (!aml_pkglen(s, &p, lim, &end)) /* not looked into */
				return false;
			p = end;
			continue;
		case AML_ALIAS_OP:
			if (!aml_namestring(s, &p, lim, seg) || !aml_namestring(s, &p, lim, seg))
				return false;
			continue;
		case AML_EXTERNAL_OP:
			if (!aml_namestring(s, &p, lim, seg) || lim - p < 2)
				return aml_fail(s, op, "External cut short");
			p += 2;
			continue;
		case AML_EXT_OP_PREFIX:
			break;
		default:
			return aml_fail(s, op, "an AML term the scan does not know (it knows namespace terms only)");
		}
		if (p >= lim)
			return aml_fail(s, op, "ExtOpPrefix at the end of its package");
		switch (*p++) {
		case AML_EXT_DEVICE_OP:
			if (!aml_device(s, &p, lim, depth))
				return false;
			continue;
		case AML_EXT_FIELD_OP: case AML_EXT_PROCESSOR_OP: case AML_EXT_POWER_RES_OP:
		case AML_EXT_THERMAL_ZONE_OP: case AML_EXT_INDEX_FIELD_OP: case AML_EXT_BANK_FIELD_OP:
			if (!aml_pkglen(s, &p, lim, &end))
				return false;
			p = end;
			continue;
		case AML_EXT_REGION_OP: /* name, space, offset, length */
			if (!aml_namestring(s, &p, lim, seg))
				return false;
			if (p >= lim || (p++, !aml_integer(&p, lim, &v)) || !aml_integer(&p, lim, &v))
				return aml_fail(s, op, "OperationRegion whose offset or length is not a constant");
			continue;
		case AML_EXT_MUTEX_OP:
			if (!aml_namestring(s, &p, lim, seg) || p >= lim)
				return aml_fail(s, op, "Mutex cut short");
			p++;
			continue;
		case AML_EXT_EVENT_OP:
			if (!aml_namestring(s, &p, lim, seg))
				return false;
			continue;
		default:
			return aml_fail(s, op, "an AML term the scan does not know (it knows namespace terms only)");
		}
	}
	return true;
}

/* The ECAM window from the DSDT's PCI Express host bridge: true and *out
 * set, or false after printing why (prefix: what led here). */
static bool acpi_dsdt_ecam(const struct acpi_sdt_header *dsdt, uint64_t dsdt_addr, const char *prefix,
			   struct acpi_ecam *out)
{
	struct aml_scan s = { .base = (const uint8_t *)dsdt };
	const uint8_t *aml = (const uint8_t *)dsdt + sizeof(*dsdt);

	aml_termlist(&s, aml, (const uint8_t *)dsdt + dsdt->length, 0, NULL);
	if (s.error) {
		printf("%s; DSDT at 0x%lx: AML at offset 0x%x not understood (%s): no ECAM location read from it\n",
		       prefix, dsdt_addr, s.error_at, s.error);
		return false;
	}
	if (!s.found) {
		printf("%s; DSDT at 0x%lx: no PCI Express host bridge (_HID/_CID %s) of segment 0 in it%s: "
		       "this machine gives no ECAM location\n", prefix, dsdt_addr, ACPI_PNP_PCIE_HOST,
		       s.hosts ? " (only other segments')" : "");
		return false;
	}
	const struct aml_dev *h = &s.host;
	if (!h->have_cba) {
		printf("%s; DSDT at 0x%lx: host bridge %s (%s) %s: no ECAM location read\n", prefix, dsdt_addr,
		       h->name, ACPI_PNP_PCIE_HOST,
		       h->cba_computed ? "has a _CBA method that computes its value (not a constant; not evaluated)"
				       : "has no _CBA");
		return false;
	}
	uint64_t bmin = h->have_bus ? h->bus_min : h->bbn, bmax = h->have_bus ? h->bus_max : 255;
	if (!h->cba || (h->cba & (PCI_ECAM_BUS_SIZE - 1)) || bmin > 255 || bmin > bmax) {
		printf("%s; DSDT at 0x%lx: host bridge %s: _CBA 0x%lx (buses %lu-%lu) is not a usable ECAM base\n",
		       prefix, dsdt_addr, h->name, h->cba, bmin, bmax);
		return false;
	}
	*out = (struct acpi_ecam){ .base = h->cba, .segment = 0, .start_bus = (uint8_t)bmin,
				   .end_bus = (uint8_t)bmax, .from = ACPI_ECAM_FROM_DSDT };
	out->windows = true;
	if (h->have_mem) {
		out->mem_start = h->mem_min;
		out->mem_end = h->mem_max + 1;
	}
	if (h->have_io) {
		out->io_start = h->io_min;
		out->io_end = h->io_max + 1;
	}
	memcpy(out->host_name, h->name, sizeof(out->host_name));
	printf("%s; DSDT at 0x%lx: PCI Express host bridge %s (%s): ECAM at 0x%lx from its _CBA, buses %u-%u %s\n",
	       prefix, dsdt_addr, h->name, ACPI_PNP_PCIE_HOST, out->base, out->start_bus, out->end_bus,
	       h->have_bus ? "from its _CRS" : "(no bus range in its _CRS: _BBN-255, as Linux takes it)");
	return true;
}

bool acpi_ecam_find(const struct hvm_start_info *si, bool scan_bios, struct acpi_ecam *out)
{
	struct acpi_root r;
	uint64_t mcfg_addr = 0;

	if (!acpi_root_get(si, scan_bios, false, &r))
		return false;
	const struct acpi_sdt_header *mcfg_hdr = acpi_table_find(&r, ACPI_SIG_MCFG, &mcfg_addr);
	if (!mcfg_hdr) {
		/* No MCFG: the DSDT's host bridge may say (QEMU microvm). */
		char prefix[192];
		uint64_t fadt_addr = 0, dsdt_addr = 0;
		snprintf(prefix, sizeof(prefix), "acpi: RSDP at 0x%lx (from %s), %s at 0x%lx: no valid MCFG among %u tables",
			 r.rsdp_addr, r.from, r.name, r.addr, r.n);
		const struct acpi_sdt_header *fadt = acpi_table_find(&r, ACPI_SIG_FADT, &fadt_addr);
		const struct acpi_sdt_header *dsdt = fadt ? acpi_dsdt_get(fadt, &dsdt_addr) : NULL;
		if (!fadt)
			printf("%s; no valid FADT, so no DSDT to look in: no ECAM location\n", prefix);
		else if (!dsdt)
			printf("%s; the FADT's DSDT (at 0x%lx) is %s: no ECAM location\n", prefix, dsdt_addr,
			       dsdt_addr ? "invalid (bad signature, length or checksum)" : "not given");
		return dsdt && acpi_dsdt_ecam(dsdt, dsdt_addr, prefix, out);
	}

	/* The first allocation for segment 0 is ours. Allocations run from
	 * the end of the fixed part to `length`; a shorter table has none. */
	const struct acpi_table_mcfg *mcfg = (const void *)mcfg_hdr;
	uint32_t nalloc = mcfg_hdr->length < sizeof(*mcfg) ? 0
			  : (mcfg_hdr->length - (uint32_t)sizeof(*mcfg)) / (uint32_t)sizeof(mcfg->allocation[0]);

	for (uint32_t i = 0; i < nalloc; i++) {
		const struct acpi_mcfg_allocation *al = &mcfg->allocation[i];
		if (al->pci_segment_group != 0 || al->start_bus_number > al->end_bus_number)
			continue;
		*out = (struct acpi_ecam){ .base = al->base_address, .segment = al->pci_segment_group,
					   .start_bus = al->start_bus_number, .end_bus = al->end_bus_number,
					   .from = ACPI_ECAM_FROM_MCFG };
		printf("acpi: RSDP at 0x%lx (from %s), %s at 0x%lx, MCFG at 0x%lx: ECAM at 0x%lx, buses %u-%u\n",
		       r.rsdp_addr, r.from, r.name, r.addr, mcfg_addr, out->base, out->start_bus, out->end_bus);
		return true;
	}
	printf("acpi: MCFG at 0x%lx has no allocation for segment 0\n", mcfg_addr);
	return false;
}

void acpi_machine_facts(const struct hvm_start_info *si, bool scan_bios, struct acpi_machine *out)
{
	struct acpi_root r;
	uint64_t a;

	*out = (struct acpi_machine){ 0 };
	if (!acpi_root_get(si, scan_bios, true, &r))
		return;
	out->present = true;
	memcpy(out->oem_id, r.hdr->oem_id, sizeof(r.hdr->oem_id));
	for (int i = 0; i < 6; i++)
		if ((unsigned char)out->oem_id[i] < 0x20 || (unsigned char)out->oem_id[i] > 0x7e)
			out->oem_id[i] = '?';
	for (int i = 5; i >= 0 && out->oem_id[i] == ' '; i--)
		out->oem_id[i] = '\0';
	out->mcfg = acpi_table_find(&r, ACPI_SIG_MCFG, &a) != NULL;
	const struct acpi_sdt_header *fadt = acpi_table_find(&r, ACPI_SIG_FADT, &a);
	uint64_t flags;
	if (fadt && acpi_fadt_field(fadt, ACPI_FADT_FLAGS_OFFSET, 4, &flags)) {
		out->fadt = true;
		out->hw_reduced = flags & ACPI_FADT_F_HW_REDUCED_ACPI;
	}
}
