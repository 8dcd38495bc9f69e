/*
 * rawdev.c - --pci-raw FILE: a config space replayed from a file (rawdev.h).
 *
 * Built on the bus's function model (pcibus.h) with everything turned off:
 * the file's bytes become cfg, wmask and w1cmask stay all zero so no guest
 * write changes a bit, no BAR is declared so the bus never maps one, and
 * there are no hooks. Its header type is the file's too: the bus does not
 * set the multifunction bit of a --pci-raw function 0 (a hostile one may
 * lack it, or claim it alone). A 256-byte file is a conventional function: the rest
 * of its 4 KiB reads as zero through ECAM, an empty extended list.
 * rawdev_bar0() opens BAR0 and COMMAND's enable bits and backs BAR0 with
 * a private copy of a register file.
 */
#include "rawdev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "pci_regs.h"

/* Reads up to len bytes: all of a regular file, or what a pipe gives
 * before its writer closes it, waiting at most RAWDEV_PIPE_WAIT_MS in all
 * (a FIFO nobody writes must not hold the VMM). */
#define RAWDEV_PIPE_WAIT_MS 5000
static ssize_t rawdev_read(int fd, uint8_t *buf, size_t len)
{
	size_t n = 0;
	int waited = 0;

	while (n < len) {
		ssize_t r = read(fd, buf + n, len - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if (waited >= RAWDEV_PIPE_WAIT_MS) {
				errno = ETIMEDOUT;
				return -1;
			}
			poll(&p, 1, 100);
			waited += 100;
			continue;
		}
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

int rawdev_load(struct pci_fn *d, const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;

	if (fd < 0)
		return errmsg(err, errlen, "--pci-raw %s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISFIFO(st.st_mode))) {
		close(fd);
		return errmsg(err, errlen, "--pci-raw %s: not a regular file or a pipe", path);
	}
	if (S_ISREG(st.st_mode) && st.st_size != PCI_CFG_SPACE_SIZE && st.st_size != PCI_CFG_SPACE_EXP_SIZE) {
		close(fd);
		return errmsg(err, errlen, "--pci-raw %s: %lld bytes; a config space is %d or %d bytes", path,
			      (long long)st.st_size, PCI_CFG_SPACE_SIZE, PCI_CFG_SPACE_EXP_SIZE);
	}
	memset(d, 0, sizeof(*d));
	/* Read one byte more than fits, so a longer pipe is caught too. */
	uint8_t buf[PCI_CFG_SPACE_EXP_SIZE + 1];
	ssize_t r = rawdev_read(fd, buf, sizeof(buf));
	int e = errno;
	close(fd);
	if (r < 0)
		return errmsg(err, errlen, "--pci-raw %s: cannot read: %s%s", path, strerror(e),
			      e == ETIMEDOUT ? " (nothing came through the pipe)" : "");
	size_t n = (size_t)r;
	if (n != PCI_CFG_SPACE_SIZE && n != PCI_CFG_SPACE_EXP_SIZE)
		return errmsg(err, errlen, "--pci-raw %s: %s%zu bytes; a config space is %d or %d bytes", path,
			      n == sizeof(buf) ? "more than " : "", n == sizeof(buf) ? n - 1 : n, PCI_CFG_SPACE_SIZE,
			      PCI_CFG_SPACE_EXP_SIZE);
	memcpy(d->cfg, buf, n);
	d->name = "pci-raw";
	d->header_as_is = true; /* the file's multifunction bit, right or wrong */
	return 0;
}

/* BAR0's registers: the REGS file's bytes, the guest's to change. */
struct rawdev_regs {
	uint8_t *bytes;
	size_t len;
};

/* Guest accesses to BAR0, offsets BAR-relative: loads and stores of the
 * copy, as memory would take them. One that runs past the end (the bus
 * gives only accesses inside the BAR; this is the belt to its braces)
 * reads all ones and writes nothing. */
static void rawdev_bar_access(struct vm *vm, void *opaque, uint64_t off, uint8_t *data, unsigned size,
			      bool is_write)
{
	struct rawdev_regs *r = opaque;

	(void)vm;
	if (off > r->len || size > r->len - off) {
		if (!is_write)
			memset(data, 0xff, size);
		return;
	}
	if (is_write)
		memcpy(r->bytes + off, data, size);
	else
		memcpy(data, r->bytes + off, size);
}

int rawdev_bar0(struct pci_fn *d, const char *path, char *err, size_t errlen)
{
	uint32_t bar;
	memcpy(&bar, d->cfg + PCI_BASE_ADDRESS_0, 4); /* config space is little-endian, as the host */
	uint32_t kind = bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK;

	if (bar & PCI_BASE_ADDRESS_SPACE_IO)
		return errmsg(err, errlen, "bar0=%s: the config file's BAR0 is an I/O BAR (0x%08x); bar0= backs a "
			      "memory BAR", path, bar);
	if (kind != PCI_BASE_ADDRESS_MEM_TYPE_32 && kind != PCI_BASE_ADDRESS_MEM_TYPE_64)
		return errmsg(err, errlen, "bar0=%s: the config file's BAR0 (0x%08x) has a reserved memory type; "
			      "give it 32-bit (bits 2:1 = 00) or 64-bit (10)", path, bar);
	/* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0)
		return errmsg(err, errlen, "bar0=%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return errmsg(err, errlen, "bar0=%s: not a regular file", path);
	}
	size_t len = (size_t)st.st_size;
	if (st.st_size < RAWDEV_REGS_MIN || st.st_size > RAWDEV_REGS_MAX || (len & (len - 1))) {
		close(fd);
		return errmsg(err, errlen, "bar0=%s: %lld bytes; the file's size is BAR0's, a power of two from %u "
			      "bytes to %u MiB", path, (long long)st.st_size, RAWDEV_REGS_MIN, RAWDEV_REGS_MAX >> 20);
	}
	struct rawdev_regs *r = calloc(1, sizeof(*r));
	uint8_t *bytes = malloc(len);
	ssize_t got = r && bytes ? rawdev_read(fd, bytes, len) : -1;
	int e = errno;
	close(fd);
	if (got < 0 || (size_t)got != len) {
		free(r);
		free(bytes);
		return errmsg(err, errlen, "bar0=%s: cannot read: %s", path, got < 0 ? strerror(e) : "the file shrank");
	}
	*r = (struct rawdev_regs){ bytes, len };
	/* The file's type and address (what firmware would have left), the
	 * address aligned to the size as the BAR's read-only low bits make it. */
	enum pci_parse_bar_type type = kind == PCI_BASE_ADDRESS_MEM_TYPE_64 ? PCI_PARSE_BAR_MEM64 : PCI_PARSE_BAR_MEM32;
	bool prefetchable = bar & PCI_BASE_ADDRESS_MEM_PREFETCH;
	pci_fn_bar(d, 0, type, prefetchable, len, rawdev_bar_access, r);
	uint32_t lo = (uint32_t)(bar & ~(uint32_t)(len - 1) & PCI_BASE_ADDRESS_MEM_MASK) | (bar & ~PCI_BASE_ADDRESS_MEM_MASK);
	memcpy(d->cfg + PCI_BASE_ADDRESS_0, &lo, 4);
	/* Decoding and bus mastering are the guest's to turn on and off. */
	d->wmask[PCI_COMMAND] |= PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	return 0;
}
