/*
 * virtio_dev.h - the virtio devices the guest drives (virtio-blk,
 * virtio-rng), found on the PCI bus, and the command-line actions that use
 * them: irq=, virtio=list, blk.read=, blk.write=, blk.flush, rng.read=.
 */
#ifndef GUEST_VIRTIO_DEV_H
#define GUEST_VIRTIO_DEV_H

#include <stdbool.h>
#include <stddef.h>

#include <stdint.h>

/* Finds the virtio devices on the PCI bus (pci_bus_ready()), once. */
void virtio_dev_probe(void);

int virtio_irq_action(const char *val, size_t len, bool dry_run);
int virtio_list_action(const char *val, size_t len, bool dry_run);
int blk_read_action(const char *val, size_t len, bool dry_run);
int blk_write_action(const char *val, size_t len, bool dry_run);
int blk_flush_action(const char *val, size_t len, bool dry_run);
int rng_read_action(const char *val, size_t len, bool dry_run);
/* attack=NAME: a hostile driver (for the VMM's tests). */
int attack_action(const char *val, size_t len, bool dry_run);
/* chaos=: one round of random descriptors and ring indices on
 * virtio-blk's queue 0, notified, then the device reset. Returns the
 * descriptors written, 0 if there is no virtio-blk. */
unsigned virtio_chaos_queue(uint64_t (*rnd)(void));

/* Benchmarks (bench.c): prepare returns NULL when ready, else why not. */
const char *virtio_bench_prepare_notify(void);
const char *virtio_bench_prepare_poll(void);
const char *virtio_bench_prepare_msix(void);
void virtio_bench_notify(unsigned n);
void virtio_bench_blk_read(unsigned n);

#endif
