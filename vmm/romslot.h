/*
 * romslot.h - the read-only page (exitlab_abi.h, EXITLAB_ROM_*): one page
 * above guest RAM in a KVM_MEM_READONLY memory slot. Loads never exit;
 * each store comes back from KVM_RUN as KVM_EXIT_MMIO, which the run loop
 * hands to romslot_mmio() before io.c: counted for --stats and dropped.
 */
#ifndef VMM_ROMSLOT_H
#define VMM_ROMSLOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vm;

/* Maps the page at gpa (page aligned, above RAM) and fills it with
 * EXITLAB_ROM_PATTERN. 0, or -1 with err (no KVM_CAP_READONLY_MEM, the
 * registry refuses the range, the ioctl fails): the guest is then told of
 * no page and its rom_* tests skip. Before the vCPU runs. */
int romslot_init(struct vm *vm, uint64_t gpa, char *err, size_t errlen);
/* Its address, 0 if none. */
uint64_t romslot_gpa(void);
/* An MMIO exit at addr: true if it is the read-only page's (a store,
 * dropped; a load cannot exit, but would read the page). */
bool romslot_mmio(uint64_t addr, uint8_t *data, unsigned size, bool is_write);
void romslot_stats_print(FILE *out);

#endif
