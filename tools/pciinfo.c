/*
 * pciinfo.c - decode PCI config spaces from files with the parser the guest
 * runs (common/pci_parse.c), and print them lspci-style or as JSON.
 *
 * A FILE is either raw config space (a sysfs .../config file, 64, 256 or
 * 4096 bytes) or the text of `lspci -x`, `-xxx` or `-xxxx`, possibly for
 * several devices; which one is told by looking at the bytes. --resource
 * reads a sysfs `resource` file to add BAR sizes. The JSON form exists so
 * tests can compare the decode with pciutils' own (tests/pciinfo_corpus.t).
 *
 * Exit status: 0 all clean, 1 some device has decode errors (they are
 * printed), 2 usage or I/O error. Format: docs/pciinfo.md.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pci_bdf.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "virtio_pci.h"
#include "vmm.h" /* VMM_VERSION: one version for all of exitlab */

#define FILE_MAX (1 << 24) /* refuse to slurp anything bigger */
#define RESOURCE_MAX 17 /* sysfs: 6 BARs, ROM, bridge windows, IOV BARs */

struct device {
	char name[64]; /* DDDD:BB:DD.F, or "" when unknown */
	const char *source; /* the FILE it came from */
	uint8_t cfg[PCI_CFG_SPACE_EXP_SIZE];
	size_t len;
};

struct resource {
	uint64_t start, end, flags;
};

static struct device *devices;
static size_t ndevices;
static int exit_status;

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pciinfo [--json] [--resource FILE] [--help] [--version] FILE...\n"
		"  FILE             raw config space (e.g. /sys/bus/pci/devices/*/config)\n"
		"                   or the output of lspci -x, -xxx or -xxxx\n"
		"  --json           print a JSON array, one object per device\n"
		"  --resource FILE  a sysfs 'resource' file: adds BAR sizes (one device)\n"
		"exit status: 0 clean, 1 decode errors found, 2 usage or I/O error\n");
}

/* I/O and format problems: say what and where, remember exit status 2. */
__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
	va_list ap;

	fputs("pciinfo: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit_status = 2;
}

static struct device *device_new(const char *source, const char *name)
{
	struct device *d;

	devices = realloc(devices, (ndevices + 1) * sizeof(*devices));
	if (!devices) {
		perror("pciinfo");
		exit(2);
	}
	d = &devices[ndevices++];
	memset(d, 0, sizeof(*d));
	d->source = source;
	snprintf(d->name, sizeof(d->name), "%s", name);
	return d;
}

static size_t hex_span(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return n;
}

/*
 * "BB:DD.F" or "DDDD:BB:DD.F" at s (common/pci_bdf.c, the guest's and the
 * VMM's reader too), normalised to DDDD:BB:DD.F in out. Returns the length
 * matched, 0 if s does not start with one.
 */
static size_t bdf_parse(const char *s, char out[PCI_BDF_STR_SIZE])
{
	uint16_t dom, rid;
	size_t n = pci_bdf_parse(s, strlen(s), &dom, &rid);

	if (n)
		pci_bdf_format(out, dom, rid);
	return n;
}

/* The last DDDD:BB:DD.F (':' or '_' separated) in a path, as sysfs and the
 * corpus name files; "" if there is none. Only that full form is 12
 * characters long. */
static void bdf_from_path(const char *path, char out[PCI_BDF_STR_SIZE])
{
	out[0] = 0;
	for (const char *p = path; *p; p++) {
		char tmp[32], bdf[PCI_BDF_STR_SIZE];

		snprintf(tmp, sizeof(tmp), "%.12s", p);
		for (char *q = tmp; *q; q++)
			if (*q == '_')
				*q = ':';
		if (bdf_parse(tmp, bdf) == 12)
			memcpy(out, bdf, sizeof(bdf));
	}
}

/* "OFF: xx xx ..." with OFF a 2-3 digit hex multiple of 16. Returns the
 * number of bytes stored, -1 if the line is not a dump line at all. */
static int dump_line_parse(const char *line, unsigned *offset, uint8_t bytes[16])
{
	size_t n = hex_span(line);
	const char *p = line + n + 1;
	int count = 0;

	if (n < 2 || n > 3 || line[n] != ':' || line[n + 1] != ' ')
		return -1;
	*offset = (unsigned)strtoul(line, NULL, 16);
	while (count < 16 && p[0] == ' ' && hex_span(p + 1) == 2) {
		bytes[count++] = (uint8_t)strtoul(p + 1, NULL, 16);
		p += 3;
	}
	while (*p == ' ' || *p == '\r')
		p++;
	return *p ? -1 : count;
}

/* lspci -x text: device lines start a device, dump lines fill it in order. */
static void text_parse(const char *path, char *text)
{
	struct device *d = NULL;
	unsigned lineno = 0;
	size_t first = ndevices;
	char *next;

	for (char *line = text; line; line = next) {
		char bdf[PCI_BDF_STR_SIZE];
		uint8_t bytes[16];
		unsigned offset;
		size_t m;
		int n;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		m = bdf_parse(line, bdf);
		if (m && (line[m] == ' ' || line[m] == 0 || line[m] == '\r')) {
			d = device_new(path, bdf);
			continue;
		}
		n = dump_line_parse(line, &offset, bytes);
		if (n < 0)
			continue; /* lspci -v detail lines, blank lines */
		if (!d || (offset == 0 && d->len))
			d = device_new(path, "");
		if (n == 0 || offset != d->len || offset + (unsigned)n > sizeof(d->cfg)) {
			complain("%s:%u: expected hex bytes at offset %#zx; feed unmodified lspci -x output",
				 path, lineno, d->len);
			ndevices = first;
			return;
		}
		memcpy(d->cfg + offset, bytes, (size_t)n);
		d->len += (size_t)n;
	}
	for (size_t i = first; i < ndevices; i++) {
		if (devices[i].len == 0) {
			complain("%s: no hex dump for %s: run lspci with -x, -xxx or -xxxx", path,
				 devices[i].name);
			ndevices = first;
			return;
		}
	}
	if (ndevices == first)
		complain("%s: text but no hex dump lines in it: expected lspci -x output", path);
}

static bool looks_like_text(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(isprint(buf[i]) || buf[i] == '\n' || buf[i] == '\t' || buf[i] == '\r'))
			return false;
	return len > 0;
}

static char *file_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(FILE_MAX + 1);
	size_t n = 0;

	if (!f || !buf) {
		complain("%s: %s", path, strerror(errno));
		goto fail;
	}
	n = fread(buf, 1, FILE_MAX + 1, f);
	if (ferror(f)) {
		complain("%s: read: %s", path, strerror(errno));
		goto fail;
	}
	if (n > FILE_MAX) {
		complain("%s: larger than %d bytes: not a config space or lspci dump", path, FILE_MAX);
		goto fail;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	if (f)
		fclose(f);
	free(buf);
	return NULL;
}

static void input_load(const char *path)
{
	size_t len;
	char *buf = file_read(path, &len);

	if (!buf)
		return;
	if (len == 0) {
		complain("%s: empty file", path);
	} else if (looks_like_text((uint8_t *)buf, len)) {
		text_parse(path, buf);
	} else {
		char bdf[PCI_BDF_STR_SIZE];
		struct device *d;

		bdf_from_path(path, bdf);
		d = device_new(path, bdf);
		d->len = len < sizeof(d->cfg) ? len : sizeof(d->cfg);
		memcpy(d->cfg, buf, d->len);
		if (len > sizeof(d->cfg))
			d->len = len; /* let the parser flag the odd length */
	}
	free(buf);
}

static int resource_load(const char *path, struct resource res[RESOURCE_MAX])
{
	size_t len;
	char *buf = file_read(path, &len);
	int n = 0;
	unsigned lineno = 0;

	if (!buf)
		return -1;
	for (char *line = strtok(buf, "\n"); line && n < RESOURCE_MAX; line = strtok(NULL, "\n")) {
		struct resource *r = &res[n];

		lineno++; /* sysfs writes no blank lines, so strtok's skipping is harmless */
		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %" SCNx64, &r->start, &r->end, &r->flags) != 3) {
			complain("%s:%u: expected 'start end flags' in hex, as in sysfs resource files",
				 path, lineno);
			n = -1;
			break;
		}
		n++;
	}
	free(buf);
	return n;
}

/* Linux prints an unused resource as 0 0 0; otherwise end is inclusive. */
static uint64_t resource_size(const struct resource *r)
{
	if ((r->start == 0 && r->end == 0) || r->end < r->start)
		return 0;
	return r->end - r->start + 1;
}

static const char *class_name(uint8_t base)
{
	static const char *const names[] = {
		"Unclassified device", "Mass storage controller", "Network controller",
		"Display controller", "Multimedia controller", "Memory controller", "Bridge",
		"Communication controller", "Generic system peripheral", "Input device controller",
		"Docking station", "Processor", "Serial bus controller", "Wireless controller",
		"Intelligent controller", "Satellite communications controller",
		"Encryption controller", "Signal processing controller",
		"Processing accelerators", "Non-Essential Instrumentation",
	};
	return base < sizeof(names) / sizeof(names[0]) ? names[base] : "Class";
}

static const char *exp_type_name(uint8_t type)
{
	static const char *const names[] = {
		"Endpoint", "Legacy Endpoint", "Unknown type 2", "Unknown type 3", "Root Port",
		"Upstream Port", "Downstream Port", "PCI-Express to PCI/PCI-X Bridge",
		"PCI/PCI-X to PCI-Express Bridge", "Root Complex Integrated Endpoint",
		"Root Complex Event Collector",
	};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "Unknown type";
}

static const char *bar_width_name(uint8_t type)
{
	switch (type) {
	case PCI_PARSE_BAR_MEM64: return "64-bit";
	case PCI_PARSE_BAR_MEM32: return "32-bit";
	case PCI_PARSE_BAR_MEM1M: return "low-1M";
	default: return "type 3";
	}
}

static const char *pm(bool b)
{
	return b ? "+" : "-";
}

static void size_print(uint64_t size)
{
	if (!size)
		return;
	if (size < 1024)
		printf(" [size=%" PRIu64 "]", size);
	else if (size < (1 << 20))
		printf(" [size=%" PRIu64 "K]", size >> 10);
	else if (size < (1ull << 30))
		printf(" [size=%" PRIu64 "M]", size >> 20);
	else
		printf(" [size=%" PRIu64 "G]", size >> 30);
}

static void cap_print(const struct pci_parse_cap *cap)
{
	const char *name = pci_parse_cap_name(cap->id, cap->extended);

	if (cap->extended) {
		printf("\tCapabilities: [%03x v%u] %s (%04x)\n", cap->offset, cap->version, name,
		       cap->id);
		return;
	}
	printf("\tCapabilities: [%02x] %s (%02x)", cap->offset, name, cap->id);
	switch (cap->kind) {
	case PCI_PARSE_CAP_VIRTIO: {
		const struct pci_parse_virtio *v = &cap->u.virtio;

		printf(": virtio %s: BAR=%u offset=0x%08" PRIx64 " length=0x%08" PRIx64,
		       pci_parse_virtio_cfg_name(v->cfg_type), v->bar, v->offset, v->length);
		if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			printf(" multiplier=%u", v->notify_off_multiplier);
		break;
	}
	case PCI_PARSE_CAP_MSIX: {
		const struct pci_parse_msix *m = &cap->u.msix;

		printf(": Enable%s Count=%u Masked%s table: BAR=%u offset=0x%08x PBA: BAR=%u offset=0x%08x",
		       pm(m->enabled), m->table_size, pm(m->masked), m->table_bar, m->table_offset,
		       m->pba_bar, m->pba_offset);
		break;
	}
	case PCI_PARSE_CAP_MSI: {
		const struct pci_parse_msi *m = &cap->u.msi;

		printf(": Enable%s Count=%u/%u Maskable%s 64bit%s", pm(m->enabled),
		       1u << m->multi_enabled, 1u << m->multi_capable, pm(m->per_vector_mask),
		       pm(m->is_64bit));
		break;
	}
	case PCI_PARSE_CAP_PM:
		printf(": version %u", cap->u.pm.version);
		break;
	case PCI_PARSE_CAP_EXP:
		printf(": v%u %s", cap->u.exp.version, exp_type_name(cap->u.exp.type));
		break;
	default:
		if (cap->id == PCI_CAP_ID_VNDR)
			printf(": len=%u", cap->len);
		break;
	}
	putchar('\n');
}

static void device_print(const struct device *d, const struct pci_parse_info *in,
			 const struct resource *res, int nres)
{
	printf("%s", d->name[0] ? d->name : d->source);
	if (!in->header_valid) {
		printf(": only %zu bytes of config space\n", in->len);
	} else {
		printf(" %s [%04x]: [%04x:%04x]", class_name(in->class_code >> 16),
		       in->class_code >> 8, in->vendor_id, in->device_id);
		if (in->revision)
			printf(" (rev %02x)", in->revision);
		if (in->class_code & 0xff)
			printf(" (prog-if %02x)", in->class_code & 0xff);
		printf(" header type %u%s, %zu bytes\n", in->layout,
		       in->multifunction ? " multi-function" : "", in->len);
		if (in->has_subsystem)
			printf("\tSubsystem: [%04x:%04x]\n", in->subsystem_vendor_id, in->subsystem_id);
		printf("\tControl: I/O%s Mem%s BusMaster%s DisINTx%s\n",
		       pm(in->command & PCI_COMMAND_IO), pm(in->command & PCI_COMMAND_MEMORY),
		       pm(in->command & PCI_COMMAND_MASTER), pm(in->command & PCI_COMMAND_INTX_DISABLE));
		printf("\tStatus: Cap%s INTx%s\n", pm(in->status & PCI_STATUS_CAP_LIST),
		       pm(in->status & PCI_STATUS_INTERRUPT));
		if (in->interrupt_pin)
			printf("\tInterrupt: pin %c routed to IRQ %u\n", 'A' + (in->interrupt_pin - 1) % 4,
			       in->interrupt_line);
		if (in->layout == PCI_HEADER_TYPE_BRIDGE)
			printf("\tBus: primary=%02x, secondary=%02x, subordinate=%02x\n",
			       in->primary_bus, in->secondary_bus, in->subordinate_bus);
	}
	for (unsigned i = 0; i < in->nbars; i++) {
		const struct pci_parse_bar *b = &in->bars[i];
		uint64_t size = (int)i < nres ? resource_size(&res[i]) : 0;

		if (b->type == PCI_PARSE_BAR_MEM64_HI || (!b->raw && !size))
			continue;
		if (b->type == PCI_PARSE_BAR_IO)
			printf("\tRegion %u: I/O ports at %#" PRIx64, i, b->address);
		else
			printf("\tRegion %u: Memory at %#" PRIx64 " (%s, %sprefetchable)", i, b->address,
			       bar_width_name(b->type), b->prefetchable ? "" : "non-");
		size_print(size);
		putchar('\n');
	}
	for (unsigned i = 0; i < in->ncaps; i++)
		cap_print(&in->caps[i]);
	for (unsigned i = 0; i < in->nerrors; i++) {
		const struct pci_parse_err *e = &in->errors[i];

		printf("\tERROR at [%02x]: %s (value %#x): %s\n", e->offset,
		       pci_parse_error_name(e->code), e->value, pci_parse_error_text(e->code));
	}
	if (in->errors_dropped)
		printf("\tERROR: %u more errors not recorded\n", in->errors_dropped);
	putchar('\n');
}

static void json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static void cap_json(const struct pci_parse_cap *cap)
{
	printf("{\"offset\": %u, \"id\": %u, \"extended\": %s, \"name\": ", cap->offset, cap->id,
	       cap->extended ? "true" : "false");
	json_string(pci_parse_cap_name(cap->id, cap->extended));
	if (cap->extended)
		printf(", \"version\": %u", cap->version);
	if (cap->id == PCI_CAP_ID_VNDR && !cap->extended)
		printf(", \"cap_len\": %u", cap->len);
	if (cap->malformed)
		printf(", \"malformed\": true");
	switch (cap->kind) {
	case PCI_PARSE_CAP_VIRTIO: {
		const struct pci_parse_virtio *v = &cap->u.virtio;

		printf(", \"virtio\": {\"cfg_type\": %u, \"cfg_name\": \"%s\", \"bar\": %u, \"id\": %u, "
		       "\"offset\": %" PRIu64 ", \"length\": %" PRIu64,
		       v->cfg_type, pci_parse_virtio_cfg_name(v->cfg_type), v->bar, v->id, v->offset,
		       v->length);
		if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG)
			printf(", \"notify_off_multiplier\": %u", v->notify_off_multiplier);
		printf("}");
		break;
	}
	case PCI_PARSE_CAP_MSIX: {
		const struct pci_parse_msix *m = &cap->u.msix;

		printf(", \"msix\": {\"table_size\": %u, \"enabled\": %s, \"masked\": %s, "
		       "\"table_bar\": %u, \"table_offset\": %u, \"pba_bar\": %u, \"pba_offset\": %u}",
		       m->table_size, m->enabled ? "true" : "false", m->masked ? "true" : "false",
		       m->table_bar, m->table_offset, m->pba_bar, m->pba_offset);
		break;
	}
	case PCI_PARSE_CAP_MSI: {
		const struct pci_parse_msi *m = &cap->u.msi;

		printf(", \"msi\": {\"enabled\": %s, \"64bit\": %s, \"per_vector_mask\": %s, "
		       "\"vectors_capable\": %u, \"vectors_enabled\": %u}",
		       m->enabled ? "true" : "false", m->is_64bit ? "true" : "false",
		       m->per_vector_mask ? "true" : "false", 1u << m->multi_capable,
		       1u << m->multi_enabled);
		break;
	}
	case PCI_PARSE_CAP_PM:
		printf(", \"pm\": {\"version\": %u}", cap->u.pm.version);
		break;
	case PCI_PARSE_CAP_EXP:
		printf(", \"express\": {\"version\": %u, \"type\": %u}", cap->u.exp.version,
		       cap->u.exp.type);
		break;
	default:
		break;
	}
	printf("}");
}

static void device_json(const struct device *d, const struct pci_parse_info *in,
			const struct resource *res, int nres, bool first)
{
	printf("%s\n  {\"bdf\": ", first ? "" : ",");
	json_string(d->name[0] ? d->name : d->source);
	printf(", \"source\": ");
	json_string(d->source);
	printf(",\n   \"length\": %zu, \"vendor\": %u, \"device\": %u, \"class\": %u, "
	       "\"revision\": %u, \"header_type\": %u, \"multifunction\": %s,\n"
	       "   \"command\": %u, \"status\": %u, \"interrupt_pin\": %u, \"interrupt_line\": %u",
	       in->len, in->vendor_id, in->device_id, in->class_code, in->revision, in->layout,
	       in->multifunction ? "true" : "false", in->command, in->status, in->interrupt_pin,
	       in->interrupt_line);
	if (in->has_subsystem)
		printf(", \"subsystem_vendor\": %u, \"subsystem\": %u", in->subsystem_vendor_id,
		       in->subsystem_id);
	if (in->header_valid && in->layout == PCI_HEADER_TYPE_BRIDGE)
		printf(", \"primary_bus\": %u, \"secondary_bus\": %u, \"subordinate_bus\": %u",
		       in->primary_bus, in->secondary_bus, in->subordinate_bus);
	printf(",\n   \"bars\": [");
	for (unsigned i = 0; i < in->nbars; i++) {
		const struct pci_parse_bar *b = &in->bars[i];

		printf("%s\n     {\"index\": %u, \"raw\": %u, \"type\": \"%s\", \"prefetchable\": %s, "
		       "\"address\": %" PRIu64,
		       i ? "," : "", i, b->raw, pci_parse_bar_type_name(b->type),
		       b->prefetchable ? "true" : "false", b->address);
		if ((int)i < nres)
			printf(", \"size\": %" PRIu64, resource_size(&res[i]));
		printf("}");
	}
	printf("],\n   \"capabilities\": [");
	for (unsigned i = 0; i < in->ncaps; i++) {
		printf("%s\n     ", i ? "," : "");
		cap_json(&in->caps[i]);
	}
	printf("],\n   \"errors\": [");
	for (unsigned i = 0; i < in->nerrors; i++) {
		const struct pci_parse_err *e = &in->errors[i];

		printf("%s\n     {\"offset\": %u, \"error\": \"%s\", \"value\": %u, \"message\": ",
		       i ? "," : "", e->offset, pci_parse_error_name(e->code), e->value);
		json_string(pci_parse_error_text(e->code));
		printf("}");
	}
	printf("], \"errors_dropped\": %u}", in->errors_dropped);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "resource", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct pci_parse_info info; /* a few KiB: not on the stack */
	struct resource res[RESOURCE_MAX];
	const char *resource_path = NULL;
	bool json = false;
	int nres = 0, opt;

	opterr = 0; /* one line of our own for a bad option, below */
	while ((opt = getopt_long(argc, argv, ":jr:hV", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'r':
			resource_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("exitlab pciinfo %s\n", VMM_VERSION);
			return 0;
		case ':':
			fprintf(stderr, "pciinfo: option '%s' needs a value (see --help)\n", argv[optind - 1]);
			return 2;
		default:
			if (optopt)
				fprintf(stderr, "pciinfo: unknown option '-%c' (see --help)\n", optopt);
			else
				fprintf(stderr, "pciinfo: unknown option '%s' (see --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "pciinfo: no FILE given: name a config-space file or an lspci -x dump\n");
		usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++)
		input_load(argv[i]);
	if (resource_path) {
		if (ndevices != 1) {
			fprintf(stderr, "pciinfo: --resource describes one device, but the FILEs hold %zu;"
					" run pciinfo once per device\n", ndevices);
			return 2;
		}
		nres = resource_load(resource_path, res);
		if (nres < 0)
			return 2;
	}

	if (json)
		printf("[");
	for (size_t i = 0; i < ndevices; i++) {
		if (pci_parse_config(devices[i].cfg, devices[i].len, &info) && exit_status == 0)
			exit_status = 1;
		if (json)
			device_json(&devices[i], &info, res, nres, i == 0);
		else
			device_print(&devices[i], &info, res, nres);
	}
	if (json)
		printf("%s]\n", ndevices ? "\n" : "");
	free(devices);
	if (fflush(stdout) != 0) {
		perror("pciinfo: stdout");
		return 2;
	}
	return exit_status;
}
