/*
 * ptbench.h - the pt_* bench tests: a passthrough device's BAR, where it is
 * mapped (no exit) against its trapped MSI-X table page (ptbench.c).
 */
#ifndef GUEST_PTBENCH_H
#define GUEST_PTBENCH_H

#include <stdint.h>

#define PT_COPY_BYTES 4096 /* bytes per pt_bar_copy / ram_copy operation */

/* From the exitlab boot info: how many functions are passed through and
 * the first one's BDF. */
void pt_bench_boot(unsigned count, uint16_t bdf);
const char *pt_bench_prepare_mapped(void);
const char *pt_bench_prepare_table(void);
const char *pt_bench_prepare_fwd(void);
void pt_bench_load(unsigned n);
void pt_bench_store(unsigned n);
void pt_bench_copy(unsigned n);
void pt_bench_ram_copy(unsigned n);
void pt_bench_table_load(unsigned n);
void pt_bench_fwd_load(unsigned n);
void pt_bench_extra(void); /* " bdf=BB:DD.F bar=N off=0x.." of what was timed */

#endif
