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
 * exist, is a host driver using it, is it a plain endpoint (type 0), can
 * we read its config space, are its BARs reachable through resourceN.
 */
#include "pt_host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
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

static int parse_bdf(const char *s, unsigned *dom, unsigned *bus, unsigned *dev, unsigned *fn)
{
	char tail;
	*dom = 0;
	if (sscanf(s, "%x:%x:%x.%x%c", dom, bus, dev, fn, &tail) == 4 ||
	    (sscanf(s, "%x:%x.%x%c", bus, dev, fn, &tail) == 3 && (*dom = 0, 1)))
		return (*dom <= 0xffff && *bus <= 0xff && *dev <= 0x1f && *fn <= 7) ? 0 : -1;
	return -1;
}

/* Reads the resource file: one "start end flags" line per region, BARs
 * 0-5 first. */
static int read_resources(struct pt_host *h, char *err, size_t errlen)
{
	char path[4200], line[256];
	snprintf(path, sizeof(path), "%s/resource", h->dir);
	FILE *f = fopen(path, "r");
	if (!f)
		return errmsg(err, errlen, "%s: cannot read %s: %s", h->bdf, path, strerror(errno));
	for (int i = 0; i < 6 && fgets(line, sizeof(line), f); i++) {
		unsigned long long start, end, flags;
		struct pt_bar *b = &h->bars[i];
		*b = (struct pt_bar){ .fd = -1 };
		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3) {
			fclose(f);
			return errmsg(err, errlen, "%s: malformed line %d in %s", h->bdf, i + 1, path);
		}
		if (start == 0 && end == 0)
			continue;
		b->host_addr = start;
		b->size = end - start + 1;
		/* Kernel IORESOURCE_IO 0x100, _MEM 0x200, _MEM_64 0x100000, _PREFETCH 0x2000. */
		b->kind = (flags & 0x100) ? PT_BAR_IO : (flags & 0x100000) ? PT_BAR_MEM64 : PT_BAR_MEM32;
		b->prefetchable = flags & 0x2000;
		/* Line i is BAR i: the upper half of a 64-bit BAR has its own line
		 * of zeroes, which the check above skips. */
	}
	fclose(f);
	return 0;
}

static int open_bars(struct pt_host *h, char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < 6; i++) {
		struct pt_bar *b = &h->bars[i];
		char path[4200];
		if (b->kind == PT_BAR_NONE)
			continue;
		snprintf(path, sizeof(path), "%s/resource%d", h->dir, i);
		b->fd = open(path, O_RDWR | O_CLOEXEC);
		if (b->fd < 0 && b->kind != PT_BAR_IO)
			return errmsg(err, errlen,
				      "%s: memory BAR %d has no usable %s (%s): is this a sysfs PCI device directory, and are you root?",
				      h->bdf, i, path, strerror(errno));
		struct stat st;
		/* A BAR smaller than a page, or a file shorter than the BAR, is
		 * trapped and forwarded instead of mapped. */
		b->mappable = b->kind != PT_BAR_IO && b->fd >= 0 && b->size % (uint64_t)page == 0 &&
			      b->host_addr % (uint64_t)page == 0 && fstat(b->fd, &st) == 0 &&
			      (uint64_t)st.st_size >= b->size;
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
	unsigned dom, bus, dev, fn;
	struct pci_access *volatile pacc = NULL;
	volatile int rc = -1;

	memset(h, 0, sizeof(*h));
	h->config_fd = -1;
	for (int i = 0; i < 6; i++)
		h->bars[i].fd = -1;
	if (parse_bdf(bdf, &dom, &bus, &dev, &fn))
		return errmsg(err, errlen, "--passthrough '%s': give the device as DDDD:BB:DD.F (see lspci -D)", bdf);
	snprintf(h->bdf, sizeof(h->bdf), "%04x:%02x:%02x.%x", dom, bus, dev, fn);

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

	pacc = pci_alloc();
	pacc->error = libpci_error;
	pacc->warning = libpci_quiet;
	pacc->debug = libpci_quiet;
	pacc->method = PCI_ACCESS_SYS_BUS_PCI;
	if (setjmp(libpci_failed)) {
		errmsg(err, errlen, "%s: libpci: %s (is --sysfs-root %s right?)", h->bdf, libpci_msg, sysfs_root);
		goto out;
	}
	pci_set_param(pacc, "sysfs.path", parent);
	pci_init(pacc);
	pci_scan_bus(pacc);

	struct pci_dev *d;
	for (d = pacc->devices; d; d = d->next)
		if ((unsigned)d->domain == dom && d->bus == bus && d->dev == dev && d->func == fn)
			break;
	if (!d) {
		errmsg(err, errlen, "no PCI device %s under %s: list devices with lspci -D", h->bdf, sysfs_root);
		goto out;
	}
	pci_fill_info(d, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_DRIVER);
	const char *driver = pci_get_string_property(d, PCI_FILL_DRIVER);
	if (driver && !force) {
		errmsg(err, errlen,
		       "%s is bound to the host driver '%s': unbind it first (echo %s > %s/driver/unbind), or pass --force",
		       h->bdf, driver, h->bdf, h->dir);
		goto out;
	}
	/* Read as much config space as we may: 64 bytes for non-root users,
	 * 256 for conventional PCI, 4096 for PCI Express. One try each. */
	static const size_t config_sizes[] = { 64, 256, 4096 };
	for (size_t i = 0; i < sizeof(config_sizes) / sizeof(config_sizes[0]); i++) {
		if (!pci_read_block(d, 0, h->config, (int)config_sizes[i]))
			break;
		h->config_len = config_sizes[i];
	}
	if (h->config_len < 256) {
		errmsg(err, errlen, "%s: only %zu bytes of config space are readable: run as root", h->bdf,
		       h->config_len);
		goto out;
	}
	if ((h->config[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_NORMAL) {
		errmsg(err, errlen, "%s: header type %u: only type-0 endpoints can be passed through, not bridges",
		       h->bdf, h->config[PCI_HEADER_TYPE] & 0x7f);
		goto out;
	}
	h->vendor_id = d->vendor_id;
	h->device_id = d->device_id;
	h->class_code = (uint32_t)h->config[PCI_CLASS_REVISION + 3] << 16 |
			(uint32_t)h->config[PCI_CLASS_REVISION + 2] << 8 | h->config[PCI_CLASS_REVISION + 1];
	if (read_resources(h, err, errlen) || open_bars(h, err, errlen))
		goto out;
	char path[4200];
	snprintf(path, sizeof(path), "%s/config", h->dir);
	h->config_fd = open(path, O_RDWR | O_CLOEXEC);
	rc = 0;
out:
	pci_cleanup(pacc);
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
