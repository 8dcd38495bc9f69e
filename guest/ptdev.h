/*
 * ptdev.h - raw access to any PCI function's BARs and config space from the
 * command line: bar.read=, bar.write=, cfg.write=; and port.write= for any
 * port. Made for passthrough demonstrations and tests (a guest store to a
 * passed-through BAR should land in the host device - or a fixture's
 * resourceN file - with no exit, and config writes should be mediated),
 * but they work on any device that the PCI walk found, under the
 * exitlab VMM and under QEMU alike; port.write= also pokes the VMM's own
 * ports (a test hands the console port a misaligned buffer address).
 */
#ifndef GUEST_PTDEV_H
#define GUEST_PTDEV_H

#include <stdbool.h>
#include <stddef.h>

int bar_read_action(const char *val, size_t len, bool dry_run);
int bar_write_action(const char *val, size_t len, bool dry_run);
int cfg_write_action(const char *val, size_t len, bool dry_run);
int port_write_action(const char *val, size_t len, bool dry_run);

#endif
