/*
 * tsc.h - how fast the TSC ticks, and how we found out.
 */
#ifndef GUEST_TSC_H
#define GUEST_TSC_H

#include <stdint.h>

/* Finds the TSC frequency; vmm_khz is what the VMM said (0: nothing). */
void tsc_init(uint64_t vmm_khz);
uint64_t tsc_khz(void);
const char *tsc_source(void);
/* cycles -> tenths of a nanosecond (fixed point, for printing "%lu.%lu"). */
uint64_t tsc_cycles_to_ns10(uint64_t cycles);

#endif
