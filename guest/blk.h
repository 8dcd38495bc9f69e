/*
 * blk.h - the virtio-blk driver (blk.c): the blk.read=, blk.write= and
 * blk.flush actions, one request for the hostile driver (attack.c) to
 * check the device still works, and the disk benchmarks (bench.c).
 */
#ifndef GUEST_BLK_H
#define GUEST_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int blk_read_action(const char *val, size_t len, bool dry_run);
int blk_write_action(const char *val, size_t len, bool dry_run);
/* blk.check=0|1: 0 sends writes to a read-only disk and sectors past the end
 * anyway (to test the device), 1 (the default) refuses them first. */
int blk_check_action(const char *val, size_t len, bool dry_run);
int blk_flush_action(const char *val, size_t len, bool dry_run);
int blk_queues_action(const char *val, size_t len, bool dry_run); /* blk.queues=N */
int blk_mq_action(const char *val, size_t len, bool dry_run);     /* blk.mq=TEXT */
int blk_id_action(const char *val, size_t len, bool dry_run);     /* blk.id */
int blk_burst_action(const char *val, size_t len, bool dry_run);  /* blk.burst=K */
int blk_disk_action(const char *val, size_t len, bool dry_run);   /* blk.disk=N|last */
int blk_queue_action(const char *val, size_t len, bool dry_run);  /* blk.queue=N|last */

/* One request of `type` (VIRTIO_BLK_T_*) at `sector` through the driver's
 * own buffers, nbytes of data (0 for a flush) that the device writes
 * (data_in) or reads, in the current irq= mode. An EXITLAB_EXIT_* status;
 * a failure is said. */
int blk_request(uint32_t type, uint64_t sector, uint32_t nbytes, bool data_in);

/* Benchmarks, on the queue of blk.queue= (0 at boot) of the disk driven:
 * prepare returns NULL when ready, else why not; poll and msix set irq=
 * for what follows, notify keeps the current mode. */
const char *blk_bench_prepare_notify(void);
const char *blk_bench_prepare_poll(void);
const char *blk_bench_prepare_msix(void);
void blk_bench_notify(unsigned n); /* the notify write alone, n times */
void blk_bench_read(unsigned n);   /* n reads of 4 KiB, one at a time */
void blk_bench_batch(unsigned n);  /* n 512-byte reads, 8 to a kick */
void blk_bench_burst(unsigned n);  /* n 512-byte reads in bursts of 8, a kick each */
/* The driver's own counts: notify writes made, interrupts taken. */
void blk_bench_counts(uint64_t *notifies, uint64_t *interrupts);
/* The line's " disk=K disks=N bdf=BB:DD.F queue=Q queues=M notify_addr=A". */
void blk_bench_extra(void);

#endif
