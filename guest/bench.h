/*
 * bench.h - exit microbenchmarks: bench=LIST on the command line.
 */
#ifndef GUEST_BENCH_H
#define GUEST_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pvh.h"

/* Runs the comma-separated tests in list[0..len) ("all" for every test).
 * With dry_run, only checks the names. Returns an EXITLAB_EXIT_* status. */
/* What the VMM offers the bench (the exitlab boot info, NULL under
 * another VMM: the scratch MSR, the read-only page, the irq port, the
 * passthrough function) and where fresh RAM is (the memory map). */
struct exitlab_boot_info;
void bench_boot(const struct exitlab_boot_info *bi, const struct hvm_start_info *si);
int bench_action(const char *list, size_t len, bool dry_run);
/* bench.samples=N: samples per test (default 31). */
int bench_samples_action(const char *val, size_t len, bool dry_run);
/* bench.single=1: one operation per sample (default 0: a batch). */
int bench_single_action(const char *val, size_t len, bool dry_run);
/* bench.raw=1: print every sample too, in bench-raw lines. */
int bench_raw_action(const char *val, size_t len, bool dry_run);

#endif
