/*
 * machine.c - the banner's "machine:" line, derived from what the machine
 * shows, each piece of evidence named on the line:
 *
 *   - QEMU's fw_cfg device (docs/specs/fw_cfg.rst: selector 0 reads
 *     "QEMU"; selector 0x19 the file directory, big-endian);
 *   - the PCI host bridge at 00:00.0 through mechanism #1: q35's MCH
 *     (8086:29c0), i440fx's (8086:1237), or none at all (microvm, whose
 *     only PCI, with pcie=on, is a generic ECAM host, 1b36:0008);
 *   - ACPI: a hardware-reduced FADT (ACPI 6.5 §4.1; QEMU builds one for
 *     microvm only, q35 and pc have fixed hardware);
 *   - without ACPI, fw_cfg's "etc/fdt", the device tree QEMU exports on
 *     x86 for microvm only (hw/i386/microvm-dt.c).
 * Where nothing tells the machine apart, the line says what was seen.
 */
#include "machine.h"

#include "acpi.h"
#include "cpu.h"
#include "lib.h"
#include "pci_cfg.h"
#include "pci_regs.h"

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_NAME_LEN 56 /* struct FWCfgFile: size, select, reserved, name[56] */
#define FW_CFG_FILES_MAX 256    /* looked at; QEMU has a few dozen */

#define PCI_ID_Q35_MCH 0x29c08086u   /* device << 16 | vendor, as a dword reads */
#define PCI_ID_I440FX 0x12378086u

bool fw_cfg_present(void)
{
	char sig[4];

	outw(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE);
	for (int i = 0; i < 4; i++)
		sig[i] = (char)inb(FW_CFG_PORT_DATA);
	return !memcmp(sig, "QEMU", 4);
}

static uint32_t fw_cfg_be32(void)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v = v << 8 | inb(FW_CFG_PORT_DATA);
	return v;
}

bool fw_cfg_file(const char *name, uint32_t *size)
{
	size_t len = strlen(name);

	if (len >= FW_CFG_FILE_NAME_LEN)
		return false;
	outw(FW_CFG_PORT_SEL, FW_CFG_FILE_DIR);
	uint32_t n = fw_cfg_be32();
	for (uint32_t i = 0; i < n && i < FW_CFG_FILES_MAX; i++) {
		char fname[FW_CFG_FILE_NAME_LEN];
		uint32_t fsize = fw_cfg_be32();
		for (int j = 0; j < 4; j++) /* select (2), reserved (2) */
			(void)inb(FW_CFG_PORT_DATA);
		for (int j = 0; j < FW_CFG_FILE_NAME_LEN; j++)
			fname[j] = (char)inb(FW_CFG_PORT_DATA);
		if (!memcmp(fname, name, len + 1)) {
			*size = fsize;
			return true;
		}
	}
	return false;
}

void machine_print(const struct hvm_start_info *si, bool exitlab, bool scan_bios)
{
	if (exitlab) {
		printf("machine: exitlab VMM (its boot module)\n");
		return;
	}
	bool qemu = fw_cfg_present();
	uint32_t id = pci_cf8_read32(PCI_BDF(0, 0, 0), PCI_VENDOR_ID);
	bool bridge = (id & 0xffff) != 0xffff && (id & 0xffff) != 0;
	const char *who = qemu ? "QEMU" : "unknown";

	if (id == PCI_ID_Q35_MCH && qemu) {
		printf("machine: QEMU q35 (fw_cfg; host bridge 8086:29c0 at 0xcf8)\n");
		return;
	}
	if (id == PCI_ID_I440FX && qemu) {
		printf("machine: QEMU i440fx (fw_cfg; host bridge 8086:1237 at 0xcf8)\n");
		return;
	}
	if (bridge) {
		printf("machine: %s (host bridge %04x:%04x at 0xcf8)\n", who, id & 0xffff, id >> 16);
		return;
	}
	struct acpi_machine a;
	acpi_machine_facts(si, scan_bios, &a);
	if (qemu && a.present && a.hw_reduced) {
		printf("machine: QEMU microvm (fw_cfg; no PCI host bridge at 0xcf8; ACPI OEM \"%s\", "
		       "hardware-reduced FADT%s)\n", a.oem_id, a.mcfg ? ", an MCFG" : "");
		return;
	}
	uint32_t fdt_size;
	if (qemu && !a.present && fw_cfg_file("etc/fdt", &fdt_size)) {
		printf("machine: QEMU microvm (fw_cfg with etc/fdt, %u bytes; no PCI host bridge at 0xcf8; no ACPI)\n",
		       fdt_size);
		return;
	}
	printf("machine: %s, not told apart (no PCI host bridge at 0xcf8; %s)\n", who,
	       a.present ? (a.hw_reduced ? "hardware-reduced ACPI" : "ACPI with fixed hardware") : "no ACPI");
}
