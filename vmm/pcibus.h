/*
 * pcibus.h - the VMM's PCI topology: bus 0 with a host bridge at 00:00.0,
 * PCI-to-PCI bridges with a bus behind each, configuration mechanism #1
 * (ports 0xcf8/0xcfc) and an ECAM window; where every function sits (slot
 * placement is decided here, not by the callers); and the device model
 * every emulated function is built on.
 *
 * Buses, as the VMM numbers them: 0 is the root; the n-th bridge declared
 * (pcibus_bridge_declare(), one per --pci-bridge, in order) has bus n
 * behind it, and the VMM programs it so (primary = its own bus, secondary =
 * subordinate = n, subordinate raised over bridges below it). A guest may
 * renumber bridges: config cycles follow the numbers in the bridges'
 * registers, as on real hardware, and --dump-pci prints the numbers the
 * guest left. Placement (pcibus_reserve()) uses the VMM's numbers.
 *
 * A function is 4 KiB of config bytes plus a per-byte writable mask and a
 * write-1-to-clear mask: the guest's writes go through the masks, so
 * read-only registers stay read-only and BAR sizing works by itself (the
 * mask of a BAR is ~(size - 1), its type bits are not writable). After a
 * write, the bus looks at COMMAND and the BARs and moves what each BAR maps
 * (its I/O or MMIO range, and whatever the device hooks to it, such as
 * ioeventfds). A device adds hooks for registers with side effects.
 */
#ifndef VMM_PCIBUS_H
#define VMM_PCIBUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "io.h"
#include "pci_access.h" /* PCI_BDF(): places are BDFs */
#include "pci_parse.h" /* enum pci_parse_bar_type */

struct vm;
struct pci_fn;

#define PCI_BUS_SLOTS 32
#define PCI_SLOT_FNS 8
#define PCI_BUS_FNS (PCI_BUS_SLOTS * PCI_SLOT_FNS) /* indexed by devfn, slot << 3 | function */
#define PCIBUS_MAX_BRIDGES 8
#define PCIBUS_MAX_BUSES (1 + PCIBUS_MAX_BRIDGES)
#define PCIBUS_NEXT 0xffffffffu /* pcibus_reserve(): the next free slot of bus 0, function 0 */

/* A BAR as the device declares it. Its type is what its register
 * decodes as (common/pci_parse.h, the guest's and pciinfo's names too):
 * PCI_PARSE_BAR_MEM32, _MEM64 (then the next slot is its high half) or
 * _IO. A BAR with size 0 is not there. */
struct pci_bar {
	uint8_t type;          /* enum pci_parse_bar_type */
	bool prefetchable;
	uint64_t size;         /* a power of two; 0: no BAR */
	io_handler_fn *fn;     /* serves guest accesses, offsets BAR-relative;
				* NULL: the device maps the BAR itself in moved() */
	void *opaque;
	char name[40];         /* for --stats: "00:03.0 virtio-blk BAR0" */
	uint64_t mapped;       /* where it decodes now, 0 if nowhere */
	/* Told when the BAR starts decoding elsewhere (0: stops decoding). */
	void (*moved)(struct pci_fn *d, unsigned bar, uint64_t addr);
	/* Where its registers say it decodes, if that was refused (it would
	 * overlap another range), else 0: the bus tries it again whenever any
	 * BAR moves or stops decoding. A device that maps the BAR itself
	 * (fn NULL) sets it in moved() when it cannot (pci_bar_fits() does),
	 * and leaves its message out when retrying is set (the refusal was
	 * said already). */
	uint64_t refused;
	bool retrying;
};

/* One function on the bus (named apart from libpci's struct pci_dev, which
 * pt_host.c uses for the host's devices). */
struct pci_fn {
	uint8_t bus, slot, func; /* where it sits (bus: the VMM's number) */
	char bdf[8];           /* "BB:DD.F", for messages */
	/* Its header type byte is the device's own: the bus does not set the
	 * multifunction bit (--pci-raw replays a file as it is). */
	bool header_as_is;
	const char *name;
	uint8_t cfg[4096];
	uint8_t wmask[4096];   /* bits the guest may write */
	uint8_t w1cmask[4096]; /* bits the guest clears by writing 1 */
	struct pci_bar bars[6];
	uint16_t cap_end;      /* where the next capability goes */
	uint16_t cap_last;     /* the last capability's offset, 0 if none */
	/* After a guest write of `size` bytes at `off` (already applied). */
	void (*cfg_written)(struct pci_fn *d, unsigned off, unsigned size);
	/* Before a guest read, to refresh registers that mirror something. */
	void (*cfg_reading)(struct pci_fn *d, unsigned off, unsigned size);
	void *opaque;
	struct vm *vm;
	uint64_t cfg_reads, cfg_writes; /* guest config accesses, for --stats */
};

/* Fills the header of a type-0 function. */
void pci_fn_init(struct pci_fn *d, const char *name, uint16_t vendor, uint16_t device, uint32_t class_code,
		  uint8_t revision);
/* Declares BAR n (for PCI_PARSE_BAR_MEM64, n and n + 1) of type MEM32,
 * MEM64 or IO. size: a power of two, >= 16 (memory) or 4 (I/O). */
void pci_fn_bar(struct pci_fn *d, unsigned n, enum pci_parse_bar_type type, bool prefetchable, uint64_t size,
		 io_handler_fn *fn, void *opaque);
/* Appends a capability: id, then len - 2 bytes of body (after the next
 * pointer), and links it. Returns its offset; body bytes are read-only
 * unless the device opens them in wmask. */
uint16_t pci_fn_cap(struct pci_fn *d, uint8_t id, const void *body, unsigned len);

/* May BAR n of d decode at addr? The one check for every device, its own
 * ranges removed first: not over RAM, another BAR or memory slot, the
 * ECAM window, the LAPIC or IOAPIC (aspace_check()). If not, sets the
 * BAR's refused to addr and says so once, naming both ranges ("... left
 * undecoded until it moves"; not when retrying). */
bool pci_bar_fits(struct pci_fn *d, unsigned n, uint64_t addr);
/* BAR n cannot decode at addr though it fits, for the VMM's own reason
 * `why` (a table full): refused the same way, said once. */
void pci_bar_refuse(struct pci_fn *d, unsigned n, uint64_t addr, const char *why);

/* --- placement (no VM needed: main() calls these before KVM is opened) --- */

/* One more PCI-to-PCI bridge: returns the number of the bus behind it
 * (1, 2, ...), or -1 with err when there are PCIBUS_MAX_BRIDGES already. */
int pcibus_bridge_declare(char *err, size_t errlen);
/* Reserves a function for `who` (named in messages, e.g. "--disk a.img"):
 * `where`, a BDF (PCI_BDF(), pci_access.h) on bus 0 or behind a declared
 * bridge, or PCIBUS_NEXT for function 0 of the lowest slot of bus 0 with
 * no function taken. Returns the BDF, or -1 with one sentence in err (no
 * such bus, 00:00.0, taken and by whom, bus 0 full). */
int pcibus_reserve(unsigned where, const char *who, char *err, size_t errlen);
/* The same for the bridge in front of bus `secondary`, which must not sit
 * on its own subtree. */
int pcibus_reserve_bridge(unsigned secondary, unsigned where, const char *who, char *err, size_t errlen);
/* After every reservation: refuses a slot with functions but no function
 * 0 (PCI 3.0 §6.2.1: software scans function 0 first). 0 or -1 with err. */
int pcibus_check(char *err, size_t errlen);
/* The number of buses the VMM numbered: 1 + the bridges (the MCFG's). */
unsigned pcibus_buses(void);

/* Sets up the bus with its host bridge, the declared bridges (at their
 * reserved places) and the config mechanisms. 0 or -1 with err. */
int pcibus_init(struct vm *vm, char *err, size_t errlen);
/* Puts d at `bdf` (as pcibus_reserve() returned, or any free function of
 * an existing bus). Function 0 of a slot with other functions gets the
 * multifunction bit (unless header_as_is). 0, or -1 with err saying
 * whose the function is or that the bus does not exist. */
int pcibus_add(struct pci_fn *d, unsigned bdf, char *err, size_t errlen);
/* Config access as the guest sees it (also the unit tests' entry point). */
uint32_t pcibus_cfg_read(unsigned bus, unsigned slot, unsigned fn, unsigned off, unsigned size);
void pcibus_cfg_write(unsigned bus, unsigned slot, unsigned fn, unsigned off, unsigned size, uint32_t v);
/* Writes every function of every bus as `lspci -xxxx` prints it, for
 * `lspci -F FILE` (-t for the tree), and closes f. Buses are numbered as
 * the guest left the bridges. */
int pcibus_dump(FILE *f);
/* Config-space accesses per function, to stderr (--stats). */
void pcibus_stats_print(void);

#endif
