/*
 * trace.c - the event log of trace.h. Lines are built whole and written
 * under one lock into a 64 KiB buffer, so the vCPU and I/O threads never
 * interleave inside a line and an event costs a clock read and a format,
 * not a write(2); the buffer goes out when full and at trace_flush().
 */
#include "trace.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"

unsigned trace_mask;

static const char *const class_names[TRACE_NCLASSES] = {
	[TRACE_EXIT] = "exit", [TRACE_IO] = "io",   [TRACE_CFG] = "cfg", [TRACE_VIRTIO] = "virtio",
	[TRACE_IOTHREAD] = "iothread", [TRACE_IRQ] = "irq", [TRACE_PT] = "pt", [TRACE_MARK] = "mark",
};

static __thread const char *thread_name = "vcpu";
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char buf[64 * 1024];
static size_t used;

int trace_parse(const char *list, unsigned *mask, char *err, size_t errlen)
{
	*mask = 0;
	if (!strcmp(list, "all")) {
		*mask = (1u << TRACE_NCLASSES) - 1;
		return 0;
	}
	const char *p = list;
	do {
		size_t n = strcspn(p, ",");
		unsigned c = 0;
		while (c < TRACE_NCLASSES && (strlen(class_names[c]) != n || strncmp(class_names[c], p, n)))
			c++;
		if (c == TRACE_NCLASSES || n == 0)
			return errmsg(err, errlen, "--trace: unknown class '%.*s' (known: all, exit, io, cfg, virtio, "
				      "iothread, irq, pt, mark)", (int)n, p);
		*mask |= 1u << c;
		p += n;
	} while (*p++ == ','); /* "a,b": on past the comma; "" and "a,": an empty name, refused */
	return 0;
}

void trace_start(unsigned mask) { trace_mask = mask; }

void trace_thread(const char *name) { thread_name = name; }

/* Out with what is buffered; lock held. */
static void drain(void)
{
	size_t off = 0;
	while (off < used) {
		ssize_t n = write(STDERR_FILENO, buf + off, used - off);
		if (n <= 0)
			break; /* stderr gone: the log is lost, the run is not */
		off += (size_t)n;
	}
	used = 0;
}

void trace_emit(enum trace_class c, const char *fmt, ...)
{
	struct timespec ts;
	char line[512];
	va_list ap;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	int n = snprintf(line, sizeof(line), "trace %lld.%09ld %s %s ", (long long)ts.tv_sec, ts.tv_nsec, thread_name,
			 class_names[c]);
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if ((size_t)n >= sizeof(line) - 1)
		n = sizeof(line) - 2; /* cut, still one line */
	line[n++] = '\n';
	pthread_mutex_lock(&lock);
	if (used + (size_t)n > sizeof(buf))
		drain();
	memcpy(buf + used, line, (size_t)n);
	used += (size_t)n;
	pthread_mutex_unlock(&lock);
}

void trace_flush(void)
{
	if (!trace_mask)
		return;
	pthread_mutex_lock(&lock);
	drain();
	pthread_mutex_unlock(&lock);
}
