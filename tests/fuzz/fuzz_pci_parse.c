/*
 * fuzz_pci_parse.c - libFuzzer target for common/pci_parse.c.
 *
 * Each input is parsed as is (libFuzzer's buffer has exactly `size` bytes,
 * so ASan flags any read past it), then padded or truncated to each length
 * the callers really pass - 64 (lspci -x), 256 (mechanism #1) and 4096
 * (ECAM) - in heap blocks of exactly that size. After every parse the
 * result must be self-consistent: counts within their arrays, every
 * capability inside the space it belongs to and listed once, helpers only
 * returning usable capabilities. A violation traps, which libFuzzer reports.
 * Corpus: tests/fuzz/corpus/fuzz_pci_parse/ (recorded and synthetic devices).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pci_parse.h"
#include "pci_regs.h"
#include "virtio_pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) \
	do { \
		if (!(cond)) \
			__builtin_trap(); \
	} while (0)

static struct pci_parse_info info;

static void parse_check(const uint8_t *cfg, size_t len)
{
	unsigned n = pci_parse_config(cfg, len, &info);

	CHECK(n == info.nerrors + info.errors_dropped);
	CHECK(info.nerrors <= PCI_PARSE_MAX_ERRORS);
	CHECK(info.ncaps <= PCI_PARSE_MAX_CAPS);
	CHECK(info.nbars <= 6);
	CHECK(info.len <= PCI_CFG_SPACE_EXP_SIZE && info.len <= len);
	CHECK(info.header_valid == (info.len >= PCI_CFG_HEADER_SIZE));
	for (unsigned i = 0; i < info.nerrors; i++) {
		CHECK(info.errors[i].code > PCI_PARSE_OK && info.errors[i].code < PCI_PARSE_ERR_COUNT);
		CHECK(info.errors[i].offset < PCI_CFG_SPACE_EXP_SIZE);
		CHECK(pci_parse_error_name(info.errors[i].code) && pci_parse_error_text(info.errors[i].code));
	}
	for (unsigned i = 0; i < info.ncaps; i++) {
		const struct pci_parse_cap *cap = &info.caps[i];

		CHECK(cap->offset % 4 == 0);
		if (cap->extended) {
			CHECK(cap->offset >= PCI_EXT_CAP_START && cap->offset < PCI_CFG_SPACE_EXP_SIZE);
			CHECK(info.len >= PCI_CFG_SPACE_EXP_SIZE);
		} else {
			CHECK(cap->offset >= PCI_CFG_HEADER_SIZE && cap->offset < PCI_CFG_SPACE_SIZE);
			CHECK(cap->offset + PCI_CAP_SIZEOF <= info.len);
			CHECK(cap->id <= 0xff);
		}
		if (cap->kind == PCI_PARSE_CAP_VIRTIO)
			CHECK(cap->offset + cap->len <= info.len && cap->len >= 16);
		if (cap->kind == PCI_PARSE_CAP_MSIX)
			CHECK(cap->u.msix.table_size >= 1 && cap->u.msix.table_size <= 2048);
		for (unsigned j = 0; j < i; j++)
			CHECK(info.caps[j].offset != cap->offset || info.caps[j].extended != cap->extended);
		CHECK(pci_parse_cap_name(cap->id, cap->extended));
	}
	for (uint8_t type = 0; type < 10; type++) {
		const struct pci_parse_cap *cap = pci_parse_virtio_find(&info, type);

		CHECK(!cap || (cap->kind == PCI_PARSE_CAP_VIRTIO && !cap->malformed &&
			       cap->u.virtio.cfg_type == type));
		CHECK(!cap || type == VIRTIO_PCI_CAP_PCI_CFG || cap->u.virtio.bar < 6);
	}
	for (unsigned i = 0; i < 7; i++) {
		uint64_t addr;

		CHECK(!pci_parse_bar_address(&info, i, &addr) || i < info.nbars);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lengths[] = { PCI_CFG_HEADER_SIZE, PCI_CFG_SPACE_SIZE,
					  PCI_CFG_SPACE_EXP_SIZE };

	parse_check(data, size);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t len = lengths[i];
		uint8_t *cfg = malloc(len);

		if (!cfg)
			return 0;
		memset(cfg, 0, len);
		memcpy(cfg, data, size < len ? size : len);
		parse_check(cfg, len);
		free(cfg);
	}
	return 0;
}
