/*
 * libpci_load.h - libpci, loaded when a passed-through device needs it
 * rather than at every start: libpci and what it pulls in (libz, libudev)
 * cost about 0.45 ms of dynamic linking, a tenth of the VMM's start-up.
 * The table's entries have the very types <pci/pci.h> declares.
 */
#ifndef VMM_LIBPCI_LOAD_H
#define VMM_LIBPCI_LOAD_H

#include <pci/pci.h>
#include <stddef.h>

struct libpci {
	__typeof__(pci_alloc) *alloc;
	__typeof__(pci_init) *init;
	__typeof__(pci_cleanup) *cleanup;
	__typeof__(pci_scan_bus) *scan_bus;
	__typeof__(pci_set_param) *set_param;
	__typeof__(pci_fill_info) *fill_info;
	__typeof__(pci_get_string_property) *get_string_property;
	__typeof__(pci_read_block) *read_block;
};

/* libpci's functions (loaded on the first call), or NULL with err saying
 * what is missing and how to get it. */
const struct libpci *libpci_load(char *err, size_t errlen);

#endif
