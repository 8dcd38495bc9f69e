/*
 * pci_cfg.c - config-space access for the whole guest (pci.h's
 * pci_cfg_*()), through whichever mechanism the bus walk chose with
 * pci_cfg_use() (pci_cfg.h).
 *
 * ECAM is found the way firmware-booted code finds it, in ACPI's MCFG
 * or, without one, the DSDT's host bridge _CBA (acpi.c), looked up once; it is used when its window lies in the low
 * 4 GiB the guest maps, mechanism #1 otherwise, or whichever pci=cf8|ecam
 * asked for. Above the two accessors of each mechanism (pci_cfg.h) sits one
 * check: an access the mechanism cannot make (unaligned, past 256 bytes
 * for #1, a bus outside MCFG's range for ECAM) reads as all ones and
 * writes nothing, as an absent function would.
 */
#include "pci_cfg.h"

#include "acpi.h"
#include "cpu.h"
#include "lib.h"
#include "pci_regs.h"

static enum pci_mechanism mech_used; /* CF8 or ECAM once chosen (#1 before) */
static bool acpi_done, have_mcfg; /* have_mcfg: an ECAM window, MCFG's or the DSDT's */
static struct acpi_ecam mcfg;

static uintptr_t ecam_addr(uint16_t bdf, uint16_t off) { return pci_ecam_addr(mcfg.base, bdf, off); }

/* The end of the ECAM window MCFG names: 1 MiB a bus. */
static uint64_t pci_ecam_end(void) { return mcfg.base + ((uint64_t)mcfg.end_bus + 1) * PCI_ECAM_BUS_SIZE; }

/* ECAM is usable if MCFG named a window the identity map reaches. */
static bool pci_ecam_usable(void)
{
	return have_mcfg && mcfg.base && pci_ecam_end() <= (1ull << 32);
}

/* Can the current mechanism reach (bdf, off, width)? */
static bool pci_cfg_reachable(uint16_t bdf, uint16_t off, unsigned width)
{
	if (off & (width - 1))
		return false; /* neither mechanism does unaligned accesses */
	if (mech_used == PCI_MECH_ECAM)
		return off < PCI_CFG_SPACE_EXP_SIZE && PCI_BDF_BUS(bdf) >= mcfg.start_bus &&
		       PCI_BDF_BUS(bdf) <= mcfg.end_bus;
	return off < PCI_CFG_SPACE_SIZE;
}

uint32_t pci_cfg_read32(uint16_t bdf, uint16_t off)
{
	if (!pci_cfg_reachable(bdf, off, 4))
		return 0xffffffff;
	return mech_used == PCI_MECH_ECAM ? mmio_read32(ecam_addr(bdf, off)) : pci_cf8_read32(bdf, off);
}

uint16_t pci_cfg_read16(uint16_t bdf, uint16_t off)
{
	if (!pci_cfg_reachable(bdf, off, 2))
		return 0xffff;
	return mech_used == PCI_MECH_ECAM ? mmio_read16(ecam_addr(bdf, off)) : pci_cf8_read16(bdf, off);
}

uint8_t pci_cfg_read8(uint16_t bdf, uint16_t off)
{
	if (!pci_cfg_reachable(bdf, off, 1))
		return 0xff;
	return mech_used == PCI_MECH_ECAM ? mmio_read8(ecam_addr(bdf, off)) : pci_cf8_read8(bdf, off);
}

void pci_cfg_write32(uint16_t bdf, uint16_t off, uint32_t v)
{
	if (!pci_cfg_reachable(bdf, off, 4))
		return;
	if (mech_used == PCI_MECH_ECAM)
		mmio_write32(ecam_addr(bdf, off), v);
	else
		pci_cf8_write32(bdf, off, v);
}

void pci_cfg_write16(uint16_t bdf, uint16_t off, uint16_t v)
{
	if (!pci_cfg_reachable(bdf, off, 2))
		return;
	if (mech_used == PCI_MECH_ECAM)
		mmio_write16(ecam_addr(bdf, off), v);
	else
		pci_cf8_write16(bdf, off, v);
}

void pci_cfg_write8(uint16_t bdf, uint16_t off, uint8_t v)
{
	if (!pci_cfg_reachable(bdf, off, 1))
		return;
	if (mech_used == PCI_MECH_ECAM)
		mmio_write8(ecam_addr(bdf, off), v);
	else
		pci_cf8_write8(bdf, off, v);
}

void pci_cfg_read_block(uint16_t bdf, uint16_t off, uint8_t *buf, uint16_t len)
{
	for (uint16_t i = 0; i < len; i += 4) {
		uint32_t v = pci_cfg_read32(bdf, (uint16_t)(off + i));
		memcpy(buf + i, &v, 4);
	}
}

uintptr_t pci_ecam_address(uint16_t bdf, uint16_t off)
{
	return pci_ecam_usable() ? ecam_addr(bdf, off) : 0;
}

bool pci_ecam_window(uint64_t *start, uint64_t *end)
{
	*start = mcfg.base;
	*end = pci_ecam_end();
	return have_mcfg;
}

bool pci_host_windows(uint64_t *mem_start, uint64_t *mem_end, uint64_t *io_start, uint64_t *io_end)
{
	if (!have_mcfg || !mcfg.windows)
		return false; /* the caller's windows stand */
	*mem_start = mcfg.mem_start;
	*mem_end = mcfg.mem_end;
	*io_start = mcfg.io_start;
	*io_end = mcfg.io_end;
	return true;
}

enum pci_mechanism pci_cfg_mechanism(void) { return mech_used; }

const char *pci_cfg_mechanism_name(enum pci_mechanism m)
{
	return m == PCI_MECH_ECAM ? "ECAM" : m == PCI_MECH_CF8 ? "mechanism #1" : "auto";
}

int pci_cfg_use(enum pci_mechanism mech, const struct hvm_start_info *si, bool scan_bios)
{
	if (!acpi_done) {
		acpi_done = true;
		have_mcfg = acpi_ecam_find(si, scan_bios, &mcfg);
	}
	if (mech == PCI_MECH_AUTO)
		mech = pci_ecam_usable() ? PCI_MECH_ECAM : PCI_MECH_CF8;
	if (mech == PCI_MECH_ECAM && !pci_ecam_usable()) {
		printf("error: pci: ECAM was asked for and is not available (%s)\n",
		       have_mcfg ? "its window is not below 4 GiB" : "ACPI gives no ECAM window: no MCFG, no host bridge _CBA");
		return -1;
	}
	mech_used = mech;
	if (mech == PCI_MECH_ECAM)
		printf("pci: config access through ECAM at 0x%lx (buses %u-%u, from ACPI %s%s)\n", mcfg.base,
		       mcfg.start_bus, mcfg.end_bus, mcfg.from == ACPI_ECAM_FROM_MCFG ? "MCFG" : mcfg.host_name,
		       mcfg.from == ACPI_ECAM_FROM_MCFG ? "" : "._CBA in the DSDT");
	else
		printf("pci: config access through mechanism #1 (ports 0xcf8/0xcfc)\n");
	if (mech == PCI_MECH_CF8 && !have_mcfg && (pci_cf8_read32(PCI_BDF(0, 0, 0), PCI_VENDOR_ID) & 0xffff) == 0xffff) {
		/* Nothing to walk, and nothing to go on: said, not guessed. */
		printf("pci: no host bridge at 0xcf8 and no ECAM window from ACPI: no PCI reachable\n");
	}
	return 0;
}
