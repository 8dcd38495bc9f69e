/*
 * io.h - dispatch of port I/O and MMIO exits to device handlers.
 *
 * Devices register a range with a handler; the run loop hands each
 * KVM_EXIT_IO / KVM_EXIT_MMIO to io_pio()/io_mmio(), which find the range
 * (a short table: a handful of devices) and count the exit against it for
 * --stats. An access nobody claimed reads as all-ones and writes are
 * dropped, as on a real bus; the first one at each address is reported.
 */
#ifndef VMM_IO_H
#define VMM_IO_H

#include <stdbool.h>
#include <stdint.h>

struct vm;

/* offset is relative to the range base; data holds `size` bytes
 * (little-endian) to write, or receives them on a read. */
typedef void io_handler_fn(struct vm *vm, void *opaque, uint64_t offset, uint8_t *data, unsigned size,
			   bool is_write);

enum io_space { IO_PIO, IO_MMIO };

int io_register(enum io_space space, uint64_t base, uint64_t len, const char *name, io_handler_fn *fn,
		void *opaque);
/* Does [base, base + len) overlap a registered range? */
bool io_overlaps(enum io_space space, uint64_t base, uint64_t len);
/* The name of a registered range that [base, base + len) overlaps, and
 * its bounds in *obase, *olen; NULL if none. For messages. */
const char *io_overlap_find(enum io_space space, uint64_t base, uint64_t len, uint64_t *obase, uint64_t *olen);
/* Removes the range registered at base (a BAR the guest moved). */
int io_unregister(enum io_space space, uint64_t base);
void io_pio(struct vm *vm, uint16_t port, uint8_t *data, unsigned size, unsigned count, bool is_write);
void io_mmio(struct vm *vm, uint64_t addr, uint8_t *data, unsigned size, bool is_write);

/* Exit accounting: counts by KVM exit reason and by registered range. */
void io_count_exit(uint32_t reason);
void io_stats_print(void); /* to stderr */
uint64_t io_exits_total(void);
const char *exit_reason_name(unsigned reason); /* "KVM_EXIT_IO", ... */ /* exits that came back from KVM_RUN, every reason */

#endif
