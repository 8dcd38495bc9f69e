/*
 * pci_list.c - the pci= action: pci=list prints every function the walk
 * found, its BARs and its capabilities; pci=cf8|ecam picks the mechanism
 * of the next walk; pci=reset undoes what firmware did, so that the next
 * walk must do it all.
 *
 * Capabilities are decoded by the shared pure parser, common/pci_parse.c,
 * over the bytes read here, so the listing says what the host tools
 * (build/pciinfo) say about the same bytes.
 */
#include "pci.h"

#include "exitlab_abi.h"
#include "lib.h"
#include "pci_cfg.h"
#include "pci_parse.h"
#include "pci_regs.h"
#include "virtio_pci.h"

/* Written before read for every function listed. */
static uint8_t cfg_buf[PCI_CFG_SPACE_EXP_SIZE] __attribute__((aligned(4))) NOINIT;
static struct pci_parse_info cfg_info NOINIT;

/* Reads config space into cfg_buf and decodes it into cfg_info: 256 bytes,
 * and the other 3840 only for a PCIe function (one with a PCI Express
 * capability) when ECAM reaches them. Every dword is an exit: a
 * conventional function costs 64 of them, not 1024. */
static void pci_cfg_read_decode(uint16_t bdf)
{
	pci_cfg_read_block(bdf, 0, cfg_buf, PCI_CFG_SPACE_SIZE);
	pci_parse_config(cfg_buf, PCI_CFG_SPACE_SIZE, &cfg_info);
	if (pci_cfg_mechanism() != PCI_MECH_ECAM || !pci_parse_cap_find(&cfg_info, PCI_CAP_ID_EXP, false))
		return;
	pci_cfg_read_block(bdf, PCI_CFG_SPACE_SIZE, cfg_buf + PCI_CFG_SPACE_SIZE,
			   PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE);
	pci_parse_config(cfg_buf, PCI_CFG_SPACE_EXP_SIZE, &cfg_info);
}

static void pci_cap_print(const char *who, const struct pci_parse_cap *c)
{
	char what[112] = "";

	switch (c->kind) {
	case PCI_PARSE_CAP_VIRTIO: {
		const struct pci_parse_virtio *v = &c->u.virtio;
		int n = snprintf(what, sizeof(what), " virtio %s cfg_type=%u bar=%u offset=0x%lx length=0x%lx",
				 pci_parse_virtio_cfg_name(v->cfg_type), v->cfg_type, v->bar, v->offset, v->length);
		if (v->cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG && n > 0 && (size_t)n < sizeof(what))
			snprintf(what + n, sizeof(what) - (size_t)n, " notify_off_multiplier=%u",
				 v->notify_off_multiplier);
		break;
	}
	case PCI_PARSE_CAP_MSIX: {
		const struct pci_parse_msix *m = &c->u.msix;
		snprintf(what, sizeof(what), " table_size=%u table=bar%u+0x%x pba=bar%u+0x%x%s%s", m->table_size,
			 m->table_bar, m->table_offset, m->pba_bar, m->pba_offset, m->enabled ? " enabled" : "",
			 m->masked ? " masked" : "");
		break;
	}
	case PCI_PARSE_CAP_MSI: {
		const struct pci_parse_msi *m = &c->u.msi;
		snprintf(what, sizeof(what), " vectors=%u/%u%s%s%s", 1u << m->multi_enabled, 1u << m->multi_capable,
			 m->is_64bit ? " 64bit" : "", m->per_vector_mask ? " maskable" : "",
			 m->enabled ? " enabled" : "");
		break;
	}
	case PCI_PARSE_CAP_PM:
		snprintf(what, sizeof(what), " version=%u", c->u.pm.version);
		break;
	case PCI_PARSE_CAP_EXP:
		snprintf(what, sizeof(what), " version=%u type=%u", c->u.exp.version, c->u.exp.type);
		break;
	default:
		if (c->extended)
			snprintf(what, sizeof(what), " version=%u", c->version);
		break;
	}
	printf("%s cap 0x%x id=0x%0*x %s%s%s%s\n", who, c->offset, c->extended ? 4 : 2, c->id,
	       c->extended ? "ext " : "", pci_parse_cap_name(c->id, c->extended), what,
	       c->malformed ? " malformed" : "");
}

static void pci_func_print(const struct pci_func *f)
{
	char who[16];

	snprintf(who, sizeof(who), "pci %02x:%02x.%x", PCI_BDF_BUS(f->bdf), PCI_BDF_DEV(f->bdf), PCI_BDF_FN(f->bdf));
	if (pci_func_is_bridge(f))
		printf("%s %04x:%04x class=%06x hdr=%u secondary=%02x subordinate=%02x\n", who, f->vendor_id,
		       f->device_id, f->class_code, f->header_type & PCI_HEADER_TYPE_MASK, f->secondary,
		       f->subordinate);
	else
		printf("%s %04x:%04x class=%06x hdr=%u%s\n", who, f->vendor_id, f->device_id, f->class_code,
		       f->header_type & PCI_HEADER_TYPE_MASK, f->header_type & PCI_HEADER_TYPE_MFD ? " mf" : "");
	for (unsigned i = 0; i < f->nbars; i++) {
		const struct pci_bar *b = &f->bars[i];
		if (!b->size || b->type == PCI_PARSE_BAR_MEM64_HI)
			continue;
		printf("%s bar%u=%s:0x%lx/0x%lx%s%s%s\n", who, i,
		       b->type == PCI_PARSE_BAR_IO ? "io" : b->type == PCI_PARSE_BAR_MEM64 ? "mem64" : "mem32", b->addr,
		       b->size, b->prefetchable ? " pf" : "", b->assigned ? " assigned" : "",
		       !pci_bar_below_4g(b) ? " above-4g" : "");
	}

	pci_cfg_read_decode(f->bdf);
	for (unsigned i = 0; i < cfg_info.ncaps; i++)
		pci_cap_print(who, &cfg_info.caps[i]);
	for (unsigned i = 0; i < cfg_info.nerrors; i++) {
		const struct pci_parse_err *e = &cfg_info.errors[i];
		printf("%s error 0x%x %s value=0x%x: %s\n", who, e->offset, pci_parse_error_name(e->code), e->value,
		       pci_parse_error_text(e->code));
	}
	if (cfg_info.errors_dropped)
		printf("%s error %u more not recorded\n", who, cfg_info.errors_dropped);
}

/*
 * pci=reset: undoes what firmware did - BARs, decoding, bridge windows and
 * bus numbers - so that the next pci=list must do it all, as it does after
 * qboot. Deepest functions first: a bridge keeps routing to its subtree
 * until that subtree is done.
 */
static void pci_reset_all(unsigned nfuncs)
{
	for (unsigned i = nfuncs; i-- > 0;) {
		const struct pci_func *f = pci_func_get(i);
		uint16_t cmd = pci_cfg_read16(f->bdf, PCI_COMMAND);

		if (f->class_code >> 8 == PCI_CLASS_BRIDGE_HOST)
			continue; /* the host bridge: leave it be */
		pci_cfg_write16(f->bdf, PCI_COMMAND,
				cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER));
		for (unsigned j = 0; j < f->nbars; j++)
			if (f->bars[j].size || f->bars[j].type == PCI_PARSE_BAR_MEM64_HI)
				pci_cfg_write32(f->bdf, (uint16_t)(PCI_BASE_ADDRESS_0 + 4 * j), 0);
		if (!pci_func_is_bridge(f))
			continue;
		for (uint16_t off = PCI_IO_BASE; off <= PCI_IO_LIMIT; off++)
			pci_cfg_write8(f->bdf, off, 0);
		for (uint16_t off = PCI_MEMORY_BASE; off <= PCI_IO_LIMIT_UPPER16; off += 2)
			pci_cfg_write16(f->bdf, off, 0);
		for (uint16_t off = PCI_PRIMARY_BUS; off <= PCI_SUBORDINATE_BUS; off++)
			pci_cfg_write8(f->bdf, off, 0);
	}
	printf("pci: reset BARs, decoding, bridge windows and bus numbers of %u functions\n", nfuncs);
}

int pci_action(const char *val, size_t len, bool dry_run)
{
	static const char *const words[] = { "list", "cf8", "ecam", "reset" };
	int k = word_find(val, len, WORDS(words));

	if (k < 0)
		return word_refuse("pci", val, len, WORDS(words));
	if (dry_run)
		return EXITLAB_EXIT_OK;
	if (k == 1 || k == 2) {
		pci_bus_mechanism(k == 1 ? PCI_MECH_CF8 : PCI_MECH_ECAM);
		return EXITLAB_EXIT_OK;
	}

	int n = pci_bus_ready();
	if (n < 0)
		return EXITLAB_EXIT_FAIL;
	if (k == 3) {
		pci_reset_all((unsigned)n);
		pci_bus_forget();
		return EXITLAB_EXIT_OK;
	}
	if (n == 0) {
		printf("pci: no devices found\n");
		return EXITLAB_EXIT_OK;
	}
	for (unsigned i = 0; i < (unsigned)n; i++)
		pci_func_print(pci_func_get(i));
	printf("pci: %d functions through %s\n", n, pci_cfg_mechanism_name(pci_cfg_mechanism()));
	return EXITLAB_EXIT_OK;
}
