/*
 * testdev.h - the guest side of QEMU's pci-testdev (1b36:0005), which both
 * the exitlab VMM (--pci-testdev) and QEMU (-device pci-testdev) offer: a
 * list of write tests per BAR, each ending either in VMM userspace or in a
 * KVM ioeventfd. testdev=run exercises them; the benchmarks time them.
 */
#ifndef GUEST_TESTDEV_H
#define GUEST_TESTDEV_H

#include <stdbool.h>
#include <stddef.h>

int testdev_action(const char *val, size_t len, bool dry_run);

/* Benchmarks: prepare selects test `index` of the MMIO (BAR0) or I/O
 * (BAR1) list; returns NULL when ready, else why not. */
const char *testdev_bench_prepare(bool io, unsigned index);
void testdev_bench_run(unsigned n);

#endif
