/*
 * pt_host.h - the host side of passthrough: find a host PCI device through
 * libpci's sysfs access method, check that it may be passed through, and
 * read what the mediation layer needs (config space, BAR layout, the
 * resourceN files that map its BARs).
 *
 * Everything comes from one directory (default /sys/bus/pci/devices), so
 * tests point it at fixture devices made by scripts/mkfixture.
 */
#ifndef VMM_PT_HOST_H
#define VMM_PT_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci_bdf.h"
#include "pci_parse.h" /* enum pci_parse_bar_type */

#define PT_SYSFS_ROOT_DEFAULT "/sys/bus/pci/devices"

/* A host BAR, from the resource file. Its type is common/pci_parse.h's,
 * the one the VMM declares emulated BARs with too (PCI_PARSE_BAR_MEM32,
 * _MEM64 or _IO); size 0: no BAR (the high half of a 64-bit one, or none). */
struct pt_bar {
	uint8_t type;     /* enum pci_parse_bar_type */
	bool prefetchable;
	uint64_t host_addr; /* where the host placed it (resource file) */
	uint64_t size;    /* 0: no BAR */
	int fd;           /* resourceN opened read/write, -1 if none */
	bool mappable;    /* memory BAR with page-aligned size: mmap it */
};

struct pt_host {
	char bdf[PCI_BDF_STR_SIZE]; /* DDDD:BB:DD.F (pci_bdf_format) */
	char dir[4096];    /* sysfs_root/DDDD:BB:DD.F */
	uint8_t config[4096];
	size_t config_len; /* bytes readable: 64 (non-root), 256 or 4096 */
	uint16_t vendor_id, device_id;
	uint32_t class_code;
	struct pt_bar bars[6];
	int config_fd;     /* the config file, for forwarded writes; -1 if none */
};

/*
 * Opens the device named by bdf ("DDDD:BB:DD.F" or "BB:DD.F") under
 * sysfs_root (any directory of DDDD:BB:DD.F entries). Refuses, with a
 * message that says what to do: an unknown device; one bound to a host
 * driver (unless force); a config file not of 256 or 4096 bytes, or one
 * that cannot be read past the 64-byte header (not root); a header other
 * than type 0; a resource file whose BARs are empty, wrap, or are not
 * powers of two; a memory BAR without its resourceN file, or with one
 * shorter than the BAR; any of those files a symbolic link. Returns 0 or
 * -1.
 */
int pt_host_open(struct pt_host *h, const char *bdf, const char *sysfs_root, bool force, char *err,
		 size_t errlen);
void pt_host_close(struct pt_host *h);

#endif
