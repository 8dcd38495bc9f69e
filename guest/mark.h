/*
 * mark.h - markers on the exitlab marker port (exitlab_abi.h): the start
 * and end of each action, and mark=TEXT, so a timeline can be cut to one.
 */
#ifndef GUEST_MARK_H
#define GUEST_MARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One marker of kind EXITLAB_MARK_*, text cut at EXITLAB_MARK_TEXT_MAX. */
void mark(uint32_t kind, const char *text, size_t len);
/* mark=TEXT. */
int mark_action(const char *val, size_t len, bool dry_run);

#endif
