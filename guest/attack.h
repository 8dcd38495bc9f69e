/*
 * attack.h - attack=NAME: a hostile virtio driver that breaks one rule of
 * the split virtqueue on purpose, for the VMM's tests (attack.c;
 * attack=help lists them).
 */
#ifndef GUEST_ATTACK_H
#define GUEST_ATTACK_H

#include <stdbool.h>
#include <stddef.h>

int attack_action(const char *val, size_t len, bool dry_run);

#endif
