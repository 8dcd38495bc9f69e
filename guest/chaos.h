/*
 * chaos.h - chaos=SEED[,COUNT]: the guest-side fuzzer, random accesses to
 * everything the VMM handles, replayable from the seed (chaos.c).
 */
#ifndef GUEST_CHAOS_H
#define GUEST_CHAOS_H

#include <stdbool.h>
#include <stddef.h>

int chaos_action(const char *val, size_t len, bool dry_run);

#endif
