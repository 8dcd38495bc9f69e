/*
 * rawdev.c - --pci-raw FILE: a config space replayed from a file (rawdev.h).
 *
 * Built on the bus's function model (pcibus.h) with everything turned off:
 * the file's bytes become cfg, wmask and w1cmask stay all zero so no guest
 * write changes a bit, no BAR is declared so the bus never maps one, and
 * there are no hooks. A 256-byte file is a conventional function: the rest
 * of its 4 KiB reads as zero through ECAM, an empty extended list.
 */
#include "rawdev.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "pci_regs.h"

int rawdev_load(struct pci_dev *d, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t n = 0;

	if (fd < 0)
		return errmsg(err, errlen, "--pci-raw %s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size != PCI_CFG_SPACE_SIZE &&
	    st.st_size != PCI_CFG_SPACE_EXP_SIZE) {
		close(fd);
		return errmsg(err, errlen, "--pci-raw %s: %lld bytes; a config space is %d or %d bytes", path,
			      (long long)st.st_size, PCI_CFG_SPACE_SIZE, PCI_CFG_SPACE_EXP_SIZE);
	}
	memset(d, 0, sizeof(*d));
	/* Read one byte more than fits, so a longer pipe is caught too. */
	uint8_t buf[PCI_CFG_SPACE_EXP_SIZE + 1];
	for (;;) {
		ssize_t r = read(fd, buf + n, sizeof(buf) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			return errmsg(err, errlen, "--pci-raw %s: cannot read: %s", path, strerror(e));
		}
		if (r == 0 || (n += (size_t)r) == sizeof(buf))
			break;
	}
	close(fd);
	if (n != PCI_CFG_SPACE_SIZE && n != PCI_CFG_SPACE_EXP_SIZE)
		return errmsg(err, errlen, "--pci-raw %s: %s%zu bytes; a config space is %d or %d bytes", path,
			      n == sizeof(buf) ? "more than " : "", n == sizeof(buf) ? n - 1 : n, PCI_CFG_SPACE_SIZE,
			      PCI_CFG_SPACE_EXP_SIZE);
	memcpy(d->cfg, buf, n);
	d->name = "pci-raw";
	return 0;
}
