/*
 * lib.h - the guest's small C library: memory and string routines the
 * compiler may call on its own, number parsing and keyword matching for the
 * command line, and a printf that writes to the console. No allocation
 * anywhere in the guest.
 */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
const char *strchr(const char *s, int c);

/* Parses a whole [s, s+len) as an unsigned number: decimal, or hex with 0x.
 * Returns false on an empty string, a stray character or overflow. */
bool parse_u64(const char *s, size_t len, uint64_t *out);
/* parse_u64 within [min, max]; else says "error: WHAT: 'VAL' is not a
 * number from MIN to MAX" and returns false. */
bool parse_u64_in(const char *what, const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);

/*
 * A keyword list, what every action matches its value (or main.c an action's
 * name) against: n names, each `stride` bytes after the one before, so that
 * an array of strings (WORDS) and the name field of an array of structs
 * (WORDS_OF: the actions, the attacks, the benchmarks) are matched by the
 * same code.
 */
struct words {
	const char *const *first;
	size_t n, stride;
};
#define WORDS(array) ((struct words){ (array), ARRAY_SIZE(array), sizeof((array)[0]) })
#define WORDS_OF(table, field) ((struct words){ &(table)[0].field, ARRAY_SIZE(table), sizeof((table)[0]) })

/* The i-th word of w (i < w.n). */
const char *word_at(struct words w, size_t i);
/* Which word of w is exactly val[0..len): its index, or -1. */
int word_find(const char *val, size_t len, struct words w);
/* Prints " WORD" for every word of w: the end of a line that lists them. */
void word_list_print(struct words w);
/* For an action value that is none of them: prints "error: ACTION: 'VAL'
 * is not one of: ..." and returns EXITLAB_EXIT_USAGE. */
int word_refuse(const char *action, const char *val, size_t len, struct words w);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Ends the VM with `status` (EXITLAB_EXIT_*): flushes the console, prints the
 * final "exitlab: exit status N" line, writes the status to port 0xf4. */
__attribute__((noreturn)) void guest_exit(uint32_t status);

__attribute__((noreturn, format(printf, 3, 4))) void guest_panic(const char *file, int line, const char *fmt, ...);
#define panic(...) guest_panic(__FILE__, __LINE__, __VA_ARGS__)
#define assert(c) ((c) ? (void)0 : panic("assertion failed: %s", #c))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Memory that is written before it is read (scratch, buffers, tables
 * refilled at every use): kept out of BSS, so the boot clears none of it.
 * The stacks (entry.S) are there too; linker/guest.ld reserves the one
 * output section, .noinit, without loading or clearing it. */
#define NOINIT __attribute__((section(".noinit")))
/* The same for a buffer a device reads or writes (DMA, or the VMM copying
 * it out): each starts a cache line of its own. */
#define NOINIT_DMA NOINIT __attribute__((aligned(64)))

#endif
