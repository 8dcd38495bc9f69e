/*
 * io.h - dispatch of port I/O and MMIO exits to device handlers.
 *
 * Devices register a range with a handler; the run loop hands each
 * KVM_EXIT_IO / KVM_EXIT_MMIO to io_pio()/io_mmio(), which find the range
 * (a short table: a handful of devices) and count the exit against it for
 * --stats. What may go where is the address-space registry's to say
 * (aspace.h): every range registered here is registered there too. An access nobody claimed reads as all-ones and writes are
 * dropped, as on a real bus; the first one at each address is reported.
 */
#ifndef VMM_IO_H
#define VMM_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aspace.h"

struct vm;

/* offset is relative to the range base; data holds `size` bytes
 * (little-endian) to write, or receives them on a read. */
typedef void io_handler_fn(struct vm *vm, void *opaque, uint64_t offset, uint8_t *data, unsigned size,
			   bool is_write);

enum io_space { IO_PIO, IO_MMIO };

/* Registers a range in the address-space registry too (aspace.h, as
 * ASPACE_PIO or ASPACE_MMIO): 0, or -1 with the reason in err (the
 * registry's overlap message, or a full table). */
int io_register(enum io_space space, uint64_t base, uint64_t len, const char *name, io_handler_fn *fn,
		void *opaque, char *err, size_t errlen);
/* The same for an MMIO range of another kind (ASPACE_ECAM). */
int io_register_kind(enum aspace_kind kind, uint64_t base, uint64_t len, const char *name, io_handler_fn *fn,
		     void *opaque, char *err, size_t errlen);
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
