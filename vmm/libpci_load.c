/*
 * libpci_load.c - dlopen() of libpci on first use (libpci_load.h). Done
 * before the sandbox, like every file the VMM opens: the first
 * --passthrough device is vetted before KVM is touched.
 */
#include "libpci_load.h"

#include <dlfcn.h>

#include "errmsg.h"

#define LIBPCI_SONAME "libpci.so.3"

const struct libpci *libpci_load(char *err, size_t errlen)
{
	static struct libpci lib;
	static void *handle;

	if (handle)
		return &lib;
	void *h = dlopen(LIBPCI_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		errmsg(err, errlen, "cannot load %s (%s): apt-get install libpci3", LIBPCI_SONAME, dlerror());
		return NULL;
	}
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
#define SYM(field, name) { name, offsetof(struct libpci, field) }
		SYM(alloc, "pci_alloc"), SYM(init, "pci_init"), SYM(cleanup, "pci_cleanup"),
		SYM(scan_bus, "pci_scan_bus"), SYM(set_param, "pci_set_param"), SYM(fill_info, "pci_fill_info"),
		SYM(get_string_property, "pci_get_string_property"), SYM(read_block, "pci_read_block"),
#undef SYM
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *f = dlsym(h, syms[i].name);
		if (!f) {
			errmsg(err, errlen, "%s has no %s: a libpci older than 3.8?", LIBPCI_SONAME, syms[i].name);
			dlclose(h);
			return NULL;
		}
		*(void **)((char *)&lib + syms[i].off) = f;
	}
	handle = h;
	return &lib;
}
