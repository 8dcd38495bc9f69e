/*
 * rawdev.h - a PCI function whose config space is a file's bytes
 * (--pci-raw FILE): a recorded device (lspci -xxxx, sysfs `config`, the
 * corpus in ../shared/corpus/pci-config) or a crafted, hostile one, to see
 * how a guest's enumeration and drivers take it.
 *
 * The function is inert: its config space is read-only (every guest write
 * is dropped, BAR sizing included, so a BAR reads back whatever the file
 * says) and nothing backs its BARs, so a guest that touches one makes an
 * unclaimed access the VMM reports like any other.
 *
 * With bar0=REGS (rawdev_bar0()) its BAR0 is backed by a private copy of
 * the REGS file, which the guest reads and writes like memory (never
 * written back): BAR0 is then sized and placed like any BAR, and COMMAND's
 * I/O, memory and bus-master bits are writable; the rest stays the file's.
 * A driver can take such a device through reset and feature negotiation
 * to queue setup, where what the registers say (queue sizes, notify
 * offsets, counts the file chose) is what it must check. No request is
 * ever served: nothing behind the registers acts on them.
 */
#ifndef VMM_RAWDEV_H
#define VMM_RAWDEV_H

#include <stddef.h>

#include "pcibus.h"

/* Reads FILE (256 or 4096 bytes; anything else is refused) into d, ready
 * for pcibus_add(). Needs no VM, so main() calls it before touching KVM.
 * Returns 0, or -1 with one sentence in err naming the file. */
int rawdev_load(struct pci_fn *d, const char *path, char *err, size_t errlen);

/* Backs BAR0 of a loaded d with a copy of REGS, whose size (a power of
 * two, RAWDEV_REGS_MIN to RAWDEV_REGS_MAX bytes) is the BAR's; the type
 * (32- or 64-bit memory, prefetchable or not) and the address are the
 * config file's BAR0 (an I/O BAR0 is refused). 0, or -1 with err naming
 * the file. */
#define RAWDEV_REGS_MIN 16u
#define RAWDEV_REGS_MAX (16u << 20)
int rawdev_bar0(struct pci_fn *d, const char *regs, char *err, size_t errlen);

#endif
