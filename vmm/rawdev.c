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
 */
#include "rawdev.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
