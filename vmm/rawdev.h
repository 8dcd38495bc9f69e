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
 */
#ifndef VMM_RAWDEV_H
#define VMM_RAWDEV_H

#include <stddef.h>

#include "pcibus.h"

/* Reads FILE (256 or 4096 bytes; anything else is refused) into d, ready
 * for pcibus_add(). Needs no VM, so main() calls it before touching KVM.
 * Returns 0, or -1 with one sentence in err naming the file. */
int rawdev_load(struct pci_fn *d, const char *path, char *err, size_t errlen);

#endif
