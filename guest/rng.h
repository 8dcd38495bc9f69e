/*
 * rng.h - the virtio-rng driver (rng.c): rng.read=N, N bytes from the
 * device's entropy source printed as one hex line, under the exitlab VMM
 * (getrandom behind it) and QEMU alike.
 */
#ifndef GUEST_RNG_H
#define GUEST_RNG_H

#include <stdbool.h>
#include <stddef.h>

int rng_read_action(const char *val, size_t len, bool dry_run);

#endif
