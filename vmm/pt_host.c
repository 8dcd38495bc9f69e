/*
 * pt_host.c - find and vet a host PCI device for passthrough (pt_host.h).
 *
 * libpci does the finding: its linux-sysfs method reads the devices/
 * directory under its sysfs.path parameter. For --sysfs-root .../devices
 * (the real /sys/bus/pci/devices) that is its parent; any other directory
 * of DDDD:BB:DD.F entries (a fixture: relative, any name) is reached
 * through a private temporary directory whose `devices` links to it,
 * removed before pt_host_open() returns. libpci reports fatal problems
 * through a callback that must not return; we turn that into a refusal
 * with longjmp, since a bad --sysfs-root is the user's mistake, not ours.
 *
 * The checks come in the order a user would fix them: does the device
 * exist, is a host driver using it, can we read its config space (a file
 * of 256 or 4096 bytes), is it a plain endpoint (type 0), does its
 * resource file describe BARs (power-of-two sizes that neither wrap nor
 * are empty), are they reachable through resourceN files as long as the
 * BARs. Every file is opened inside the device directory, never through
 * a symbolic link: a device's files are its own.
 */
#include "pt_host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "libpci_load.h"
#include "pci_access.h"
/* register names come from libpci's <pci/header.h>, same as pci_regs.h */

static jmp_buf libpci_failed;
static char libpci_msg[256];

__attribute__((noreturn)) static void libpci_error(char *msg, ...)
{
	va_list ap;
	va_start(ap, msg);
	vsnprintf(libpci_msg, sizeof(libpci_msg), msg, ap);
	va_end(ap);
	longjmp(libpci_failed, 1);
}

static void libpci_quiet(char *msg, ...)
{
}

/* Opens name inside the device directory (dir_fd), never through a
 * symbolic link (sysfs has none among config, resource and resourceN: one
 * there would lead out of the device), and only a regular file. Returns
 * the fd, or -1 with errno (ELOOP: a link; EINVAL: not a regular file). */
static int pt_open_in_dir(int dir_fd, const char *name, int flags)
{
	int fd = openat(dir_fd, name, flags | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* "DIR/NAME is ...": why pt_open_in_dir() failed, for a message. */
static int pt_open_failed(const struct pt_host *h, const char *name, int e, char *err, size_t errlen)
{
	if (e == ELOOP)
		return errmsg(err, errlen, "%s: %s/%s is a symbolic link: refused, a device's files are its own, not links out of its directory",
			      h->bdf, h->dir, name);
	if (e == EINVAL)
		return errmsg(err, errlen, "%s: %s/%s is not a regular file", h->bdf, h->dir, name);
	return errmsg(err, errlen, "%s: cannot open %s/%s: %s", h->bdf, h->dir, name, strerror(e));
}

/* Kernel IORESOURCE_IO 0x100, _MEM 0x200, _PREFETCH 0x2000, _MEM_64 0x100000. */
#define PT_IORESOURCE_IO 0x100
#define PT_IORESOURCE_MEM 0x200
#define PT_IORESOURCE_PREFETCH 0x2000
#define PT_IORESOURCE_MEM_64 0x100000

/* One line of the resource file as BAR i; 0 or -1 with a message. prev is
 * BAR i - 1, whose upper half line i is when it is 64-bit. */
static int vet_resource_line(struct pt_host *h, int i, const char *line, const struct pt_bar *prev, char *err,
			     size_t errlen)
{
	unsigned long long start, end, flags;
	struct pt_bar *b = &h->bars[i];

	if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3)
		return errmsg(err, errlen, "%s: malformed line %d in %s/resource", h->bdf, i + 1, h->dir);
	if (prev && prev->size && prev->type == PCI_PARSE_BAR_MEM64) {
		if (start || end)
			return errmsg(err, errlen,
				      "%s: BAR %d is the upper half of 64-bit BAR %d, but line %d of resource is not zeroes: 0x%llx-0x%llx",
				      h->bdf, i, i - 1, i + 1, start, end);
		return 0;
	}
	if (start == 0 && end == 0)
		return 0; /* no BAR i */
	if (end < start || end - start == UINT64_MAX)
		return errmsg(err, errlen, "%s: BAR %d: 0x%llx-0x%llx is empty or wraps (resource line %d)", h->bdf, i,
			      start, end, i + 1);
	uint64_t size = end - start + 1;
	if (size & (size - 1))
		return errmsg(err, errlen, "%s: BAR %d: size 0x%llx is not a power of two, as every BAR's is", h->bdf,
			      i, (unsigned long long)size);
	if (flags & PT_IORESOURCE_IO) {
		if (size < 4 || size > 0x10000 || end > 0xffff)
			return errmsg(err, errlen,
				      "%s: BAR %d: %llu bytes of I/O at 0x%llx: an I/O BAR has 4 to 65536 ports below 0x10000",
				      h->bdf, i, (unsigned long long)size, start);
		b->type = PCI_PARSE_BAR_IO;
	} else if (flags & PT_IORESOURCE_MEM) {
		if (size < 16)
			return errmsg(err, errlen, "%s: BAR %d: %llu bytes of memory: a memory BAR has at least 16",
				      h->bdf, i, (unsigned long long)size);
		b->type = (flags & PT_IORESOURCE_MEM_64) ? PCI_PARSE_BAR_MEM64 : PCI_PARSE_BAR_MEM32;
		if (b->type == PCI_PARSE_BAR_MEM64 && i == 5)
			return errmsg(err, errlen, "%s: BAR 5 is 64-bit: there is no BAR 6 for its upper half",
				      h->bdf);
		if (b->type == PCI_PARSE_BAR_MEM32 && (size > 1ull << 31 || end > UINT32_MAX))
			return errmsg(err, errlen, "%s: BAR %d: 32-bit memory BAR at 0x%llx-0x%llx does not fit below 4 GiB",
				      h->bdf, i, start, end);
	} else {
		return errmsg(err, errlen, "%s: BAR %d: flags 0x%llx say neither I/O (0x100) nor memory (0x200)",
			      h->bdf, i, flags);
	}
	b->host_addr = start;
	b->size = size;
	b->prefetchable = flags & PT_IORESOURCE_PREFETCH;
	return 0;
}

/* Reads the resource file: one "start end flags" line per region, BARs
 * 0-5 first (then the ROM and, for bridges, windows). Line i is BAR i: the
 * upper half of a 64-bit BAR has its own line of zeroes. */
static int read_resources(struct pt_host *h, int dir_fd, char *err, size_t errlen)
{
	char line[256];
	int fd = pt_open_in_dir(dir_fd, "resource", O_RDONLY);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	if (!f) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return pt_open_failed(h, "resource", e, err, errlen);
	}
	int n = 0;
	for (; n < 6 && fgets(line, sizeof(line), f); n++)
		if (vet_resource_line(h, n, line, n ? &h->bars[n - 1] : NULL, err, errlen)) {
			fclose(f);
			return -1;
		}
	fclose(f);
	if (n < 6)
		return errmsg(err, errlen, "%s: %s/resource has %d lines: sysfs writes one per BAR (6), then the ROM",
			      h->bdf, h->dir, n);
	return 0;
}

/* Opens each BAR's resourceN. A memory BAR must have one, as long as the
 * BAR (sysfs makes it so): a shorter file is not the BAR, and writes past
 * its end would only grow the file. An I/O BAR may lack one (reads then
 * return all-ones). */
static int open_bars(struct pt_host *h, int dir_fd, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < 6; i++) {
		struct pt_bar *b = &h->bars[i];
		char name[24];
		struct stat st;
		if (!b->size)
			continue;
		snprintf(name, sizeof(name), "resource%d", i);
		b->fd = pt_open_in_dir(dir_fd, name, O_RDWR);
		if (b->fd < 0 && (b->type != PCI_PARSE_BAR_IO || errno != ENOENT)) {
			int e = errno;
			if (e == ELOOP || e == EINVAL)
				return pt_open_failed(h, name, e, err, errlen);
			return errmsg(err, errlen,
				      "%s: %s BAR %d has no usable %s/%s (%s): is this a sysfs PCI device directory, and are you root?",
				      h->bdf, b->type == PCI_PARSE_BAR_IO ? "I/O" : "memory", i, h->dir, name, strerror(e));
		}
		if (b->fd < 0)
			continue;
		if (fstat(b->fd, &st) || (uint64_t)st.st_size < b->size)
			return errmsg(err, errlen, "%s: %s is %lld bytes, but BAR %d is %llu: not this BAR's resource file",
				      h->bdf, name, (long long)st.st_size, i, (unsigned long long)b->size);
		/* A BAR smaller than a page is trapped and forwarded instead of mapped. */
		b->mappable = b->type != PCI_PARSE_BAR_IO && b->size % (uint64_t)page == 0 &&
			      b->host_addr % (uint64_t)page == 0;
	}
	return 0;
}

/* A private directory, made in $TMPDIR (default /tmp), whose `devices` is
 * a symbolic link to dir: what libpci's sysfs.path needs for a directory
 * of devices that is not called devices. parent gets the directory, link
 * the link's path; the caller removes both. */
static int pt_sysfs_link(const char *dir, char *parent, size_t parentlen, char *link, size_t linklen, char *err,
			 size_t errlen)
{
	const char *tmpdir = getenv("TMPDIR");
	snprintf(parent, parentlen, "%s/exitlab-sysfs-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(parent))
		return errmsg(err, errlen, "--sysfs-root %s: cannot make a directory %s for libpci: %s", dir, parent,
			      strerror(errno));
	snprintf(link, linklen, "%s/devices", parent);
	if (symlink(dir, link)) {
		int e = errno;
		rmdir(parent);
		link[0] = '\0';
		return errmsg(err, errlen, "--sysfs-root %s: cannot link %s to it for libpci: %s", dir, parent,
			      strerror(e));
	}
	return 0;
}

int pt_host_open(struct pt_host *h, const char *bdf, const char *sysfs_root, bool force, char *err,
		 size_t errlen)
{
	uint16_t dom, rid; /* the domain and the routing ID, bus:device.function */
	struct pci_access *volatile pacc = NULL;
	const struct libpci *volatile lp = NULL;
	volatile int rc = -1, dir_fd = -1;

	memset(h, 0, sizeof(*h));
	h->config_fd = -1;
	for (int i = 0; i < 6; i++)
		h->bars[i].fd = -1;
	if (pci_bdf_parse(bdf, strlen(bdf), &dom, &rid) != strlen(bdf))
		return errmsg(err, errlen, "--passthrough '%s': give the device as DDDD:BB:DD.F (see lspci -D)", bdf);
	pci_bdf_format(h->bdf, dom, rid);

	/* libpci's sysfs.path is the directory that holds devices/. */
	char real[PATH_MAX], parent[PATH_MAX], link[PATH_MAX + 16];
	struct stat st;
	if (!realpath(sysfs_root, real))
		return errmsg(err, errlen, "--sysfs-root %s: %s", sysfs_root, strerror(errno));
	if (stat(real, &st) || !S_ISDIR(st.st_mode))
		return errmsg(err, errlen, "--sysfs-root %s is not a directory (give one of DDDD:BB:DD.F devices)",
			      sysfs_root);
	if ((size_t)snprintf(h->dir, sizeof(h->dir), "%s/%s", real, h->bdf) >= sizeof(h->dir))
		return errmsg(err, errlen, "--sysfs-root %s: path too long", sysfs_root);
	link[0] = '\0';
	char *slash = strrchr(real, '/');
	if (slash && slash != real && !strcmp(slash, "/devices")) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - real), real);
	} else if (pt_sysfs_link(real, parent, sizeof(parent), link, sizeof(link), err, errlen)) {
		return -1;
	}

	lp = libpci_load(err, errlen);
	if (!lp)
		goto out;
	pacc = lp->alloc();
	pacc->error = libpci_error;
	pacc->warning = libpci_quiet;
	pacc->debug = libpci_quiet;
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	if (setjmp(libpci_failed)) {
		errmsg(err, errlen, "%s: libpci: %s (is --sysfs-root %s right?)", h->bdf, libpci_msg, sysfs_root);
		goto out;
	}
	char param[] = "sysfs.path"; /* libpci takes a char *, not a const one */
	lp->set_param(pacc, param, parent);
	lp->init(pacc);
	lp->scan_bus(pacc);

	struct pci_dev *d;
	for (d = pacc->devices; d; d = d->next)
		if (d->domain == dom && PCI_BDF(d->bus, d->dev, d->func) == rid)
			break;
	if (!d) {
		errmsg(err, errlen, "no PCI device %s under %s: list devices with lspci -D", h->bdf, sysfs_root);
		goto out;
	}
	lp->fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_DRIVER);
	const char *driver = lp->get_string_property(d, PCI_FILL_DRIVER);
	if (driver && !force) {
		errmsg(err, errlen,
		       "%s is bound to the host driver '%s': unbind it first (echo %s > %s/driver/unbind), or pass --force",
		       h->bdf, driver, h->bdf, h->dir);
		goto out;
	}
	dir_fd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		errmsg(err, errlen, "%s: cannot open %s: %s", h->bdf, h->dir, strerror(errno));
		goto out;
	}
	/* config: the device's own file, as long as a config space (sysfs
	 * gives its size even to those who may read only 64 bytes of it). */
	struct stat cst;
	if (fstatat(dir_fd, "config", &cst, AT_SYMLINK_NOFOLLOW)) {
		pt_open_failed(h, "config", errno, err, errlen);
		goto out;
	}
	if (!S_ISREG(cst.st_mode)) {
		pt_open_failed(h, "config", S_ISLNK(cst.st_mode) ? ELOOP : EINVAL, err, errlen);
		goto out;
	}
	if (cst.st_size != 256 && cst.st_size != 4096) {
		errmsg(err, errlen, "%s: config is %lld bytes: a config space is 256 or 4096 bytes", h->bdf,
		       (long long)cst.st_size);
		goto out;
	}
	/* Read as much config space as we may: 64 bytes for non-root users,
	 * 256 for conventional PCI, 4096 for PCI Express. One try each. */
	static const size_t config_sizes[] = { 64, 256, 4096 };
	for (size_t i = 0; i < sizeof(config_sizes) / sizeof(config_sizes[0]) && config_sizes[i] <= (size_t)cst.st_size;
	     i++) {
		if (!lp->read_block(d, 0, h->config, (int)config_sizes[i]))
			break;
		h->config_len = config_sizes[i];
	}
	if (h->config_len < (size_t)cst.st_size) {
		if (geteuid() != 0)
			errmsg(err, errlen, "%s: only %zu bytes of config space are readable: run as root", h->bdf,
			       h->config_len);
		else
			errmsg(err, errlen, "%s: only %zu of the %lld bytes of config could be read, as root", h->bdf,
			       h->config_len, (long long)cst.st_size);
		goto out;
	}
	if ((h->config[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		errmsg(err, errlen, "%s: header type %u: only type-0 endpoints can be passed through, not bridges",
		       h->bdf, h->config[PCI_HEADER_TYPE] & 0x7f);
		goto out;
	}
	memcpy(&h->vendor_id, h->config + PCI_VENDOR_ID, 2);
	memcpy(&h->device_id, h->config + PCI_DEVICE_ID, 2);
	h->class_code = (uint32_t)h->config[PCI_CLASS_REVISION + 3] << 16 |
			(uint32_t)h->config[PCI_CLASS_REVISION + 2] << 8 | h->config[PCI_CLASS_REVISION + 1];
	if (read_resources(h, dir_fd, err, errlen) || open_bars(h, dir_fd, err, errlen))
		goto out;
	h->config_fd = pt_open_in_dir(dir_fd, "config", O_RDWR); /* -1: COMMAND stays as it is */
	rc = 0;
out:
	if (dir_fd >= 0)
		close(dir_fd);
	if (pacc)
		lp->cleanup(pacc);
	if (link[0]) { /* the private sysfs.path: devices -> real */
		unlink(link);
		rmdir(parent);
	}
	if (rc)
		pt_host_close(h);
	return rc;
}

void pt_host_close(struct pt_host *h)
{
	for (int i = 0; i < 6; i++) {
		if (h->bars[i].fd >= 0)
			close(h->bars[i].fd);
		h->bars[i].fd = -1;
	}
	if (h->config_fd >= 0)
		close(h->config_fd);
	h->config_fd = -1;
}
