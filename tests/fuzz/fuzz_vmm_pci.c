/*
 * fuzz_vmm_pci.c - libFuzzer target for the VMM's PCI bus as a hostile
 * guest sees it: config accesses through 0xcf8/0xcfc and ECAM, and MMIO and
 * port accesses wherever the guest moved the BARs, all dispatched through
 * vmm/io.c exactly as the run loop would.
 *
 * Each 8 input bytes are one access: kind, offset (16 bits), size, value.
 * After every access: the vendor ID still reads as set, every decoded BAR
 * sits at an address aligned to its size, and the MSI-X emulation's
 * counters stay within its table. A violation traps.
 */
#include <stdint.h>
#include <string.h>

#include "io.h"
#include "layout.h"
#include "msix.h"
#include "pci_access.h"
#include "pci_regs.h"
#include "pcibus.h"
#include "vmm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)

static struct vm vm = { .kvm_fd = -1, .vm_fd = -1, .vcpu_fd = -1 };
static struct pci_fn dev;
static struct msix msix;
static uint16_t msix_cap;
static bool ready;

static void fire(struct msix *m, unsigned v) { CHECK(v < m->nvec); }

/* BAR0 holds the MSI-X table at 0x1000 and the PBA at 0x1800, as the
 * capability says. */
static void bar_io(struct vm *v, void *opaque, uint64_t off, uint8_t *d, unsigned size, bool is_write)
{
	if (off >= 0x1000 && off < 0x1000 + 4 * 16)
		msix_table_access(&msix, off - 0x1000, d, size, is_write);
	else if (off >= 0x1800 && off < 0x1808)
		msix_pba_access(&msix, off - 0x1800, d, size, is_write);
	else if (!is_write)
		memset(d, 0, size);
}

static void cfg_written(struct pci_fn *p, unsigned off, unsigned size)
{
	msix_cfg_written(&msix, p, msix_cap, off, size);
	msix_notify(&msix, off % 5);
}

static void setup(void)
{
	/* Message Control: 4 entries; table at BAR0 + 0x1000, PBA at BAR0 + 0x1800. */
	static uint8_t body[10] = { 3, 0, 0x00, 0x10, 0, 0, 0x00, 0x18, 0, 0 };
	pcibus_init(&vm, NULL, 0);
	pci_fn_init(&dev, "fuzz", 0x1234, 0x5678, 0xff0000, 1);
	pci_fn_bar(&dev, 0, PCI_PARSE_BAR_MEM64, false, 0x2000, bar_io, NULL);
	pci_fn_bar(&dev, 2, PCI_PARSE_BAR_MEM32, true, 0x1000, bar_io, NULL);
	pci_fn_bar(&dev, 3, PCI_PARSE_BAR_IO, false, 0x40, bar_io, NULL);
	msix_cap = pci_fn_cap(&dev, PCI_CAP_ID_MSIX, body, 12);
	msix_cap_open(&dev, msix_cap);
	dev.cfg_written = cfg_written;
	msix_init(&msix, 4, fire, NULL, NULL);
	pcibus_add(&dev, PCI_BDF(0, 1, 0), NULL, 0);
	/* Start with BAR0 decoding at 0xc0000000, where case 3 reaches, and
	 * MSI-X enabled: in 3 million runs from an unprogrammed device the
	 * fuzzer never got the table and PBA code to run. */
	pcibus_cfg_write(0, 1, 0, PCI_BASE_ADDRESS_0, 4, 0xc0000000u);
	pcibus_cfg_write(0, 1, 0, PCI_BASE_ADDRESS_1, 4, 0);
	pcibus_cfg_write(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	pcibus_cfg_write(0, 1, 0, msix_cap + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE);
	ready = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ready)
		setup();
	for (size_t i = 0; i + 8 <= size; i += 8) {
		const uint8_t *op = data + i;
		uint16_t off;
		uint8_t buf[8];
		unsigned sz = 1u << (op[3] % 4); /* 1, 2, 4, 8 */
		memcpy(&off, op + 1, 2);
		memcpy(buf, op + 4, 4);
		memcpy(buf + 4, op + 4, 4);
		bool wr = op[0] & 0x80;
		switch (op[0] % 6) {
		case 0: /* address register, then data, as mechanism #1 */
			io_pio(&vm, PCI_CF8_ADDRESS_PORT, buf, 4, 1, true);
			io_pio(&vm, (uint16_t)(PCI_CF8_DATA_PORT + (off & 3)), buf + 4, sz > 4 ? 4 : sz, 1, wr);
			break;
		case 1: /* ECAM, bus 0 */
			io_mmio(&vm, LAYOUT_ECAM + (off & 0xffff), buf, sz, wr);
			break;
		case 2: /* a config write aimed at the device, any offset */
			pcibus_cfg_write(0, 1, 0, off & 0xfff, sz > 4 ? 4 : sz, (uint32_t)buf[0] << 24 | buf[1]);
			break;
		case 3: /* MMIO where BARs may be */
			io_mmio(&vm, 0xc0000000ull + ((uint64_t)off << 4), buf, sz, wr);
			break;
		case 4: /* BAR0's MSI-X table and PBA pages, wherever BAR0 is now */
			if (dev.bars[0].mapped)
				io_mmio(&vm, dev.bars[0].mapped + 0x1000 + (off & 0xfff), buf, sz, wr);
			break;
		default: /* ports where an I/O BAR may be */
			io_pio(&vm, off, buf, sz > 4 ? 4 : sz, 1 + (op[3] >> 4) % 2, wr);
			break;
		}
		CHECK(pcibus_cfg_read(0, 1, 0, PCI_VENDOR_ID, 2) == 0x1234);
		for (unsigned n = 0; n < 6; n++)
			CHECK(dev.bars[n].mapped % (dev.bars[n].size ? dev.bars[n].size : 1) == 0);
	}
	return 0;
}
