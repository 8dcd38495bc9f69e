/*
 * pci_bdf.h - a PCI function's address as people write it, lspci's
 * [DDDD:]BB:DD.F (domain, bus, device, function, in hex), read and written
 * by one pair of functions on both sides: the guest's bar.read=,
 * bar.write= and cfg.write= actions, the VMM's --passthrough and pciinfo's
 * reading of lspci text and sysfs-style file names.
 *
 * The rules: every field hex, either case; a domain of 1 to 4 digits
 * (optional), a bus and a device of 1 or 2, the device at most 0x1f; the
 * function one digit, 0 to 7 (PCI Local Bus 3.0 §3.2.2.3.1: 32 devices of
 * 8 functions on each of 256 buses). No spaces, signs or 0x. The parser
 * reads a prefix, so a caller that wants the whole string compares the
 * length it returns with its own. Pure and freestanding (no libc), so the
 * guest links it as is and a host test feeds it odd strings.
 */
#ifndef PCI_BDF_H
#define PCI_BDF_H

#include <stddef.h>
#include <stdint.h>

#define PCI_BDF_STR_SIZE 13 /* "DDDD:BB:DD.F" and its NUL */

/*
 * Reads an address at the start of the len bytes at s (no NUL needed).
 * Returns how many bytes it spans, with *domain (0 when not given) and
 * *bdf (PCI_BDF(bus, device, function), pci_access.h) set; or 0, leaving
 * them alone, if s does not start with one.
 */
size_t pci_bdf_parse(const char *s, size_t len, uint16_t *domain, uint16_t *bdf);

/* Writes the address as "DDDD:BB:DD.F", lower-case hex, NUL-terminated:
 * the way sysfs names the device's directory. */
void pci_bdf_format(char out[PCI_BDF_STR_SIZE], uint16_t domain, uint16_t bdf);

#endif /* PCI_BDF_H */
