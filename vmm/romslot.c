/*
 * romslot.c - the read-only page (romslot.h).
 *
 * KVM_MEM_READONLY (Documentation/virt/kvm/api.rst, KVM_SET_USER_MEMORY_REGION):
 * "reads ... will be satisfied normally, writes will be posted to userspace
 * as KVM_EXIT_MMIO exits". The page's host memory is our own anonymous
 * page, filled once; the guest never changes it, so a test can read back
 * after a store and see the store dropped. The slot number and the range
 * come from the address-space registry (aspace.h) under the name
 * "read-only page", so no BAR may go there.
 */
#include "romslot.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "aspace.h"
#include "errmsg.h"
#include "exitlab_abi.h"
#include "trace.h"
#include "vmm.h"

static uint64_t rom_gpa;
static unsigned rom_slot;
static uint64_t writes, bytes, reads; /* for --stats */

int romslot_init(struct vm *vm, uint64_t gpa, char *err, size_t errlen)
{
	if (gpa % EXITLAB_ROM_SIZE)
		return errmsg(err, errlen, "read-only page at 0x%llx: not page aligned", (unsigned long long)gpa);
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_READONLY_MEM) <= 0)
		return errmsg(err, errlen, "this KVM has no read-only memory slots (KVM_CAP_READONLY_MEM)");
	uint32_t *page = mmap(NULL, EXITLAB_ROM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return errmsg(err, errlen, "read-only page: %s", strerror(errno));
	for (unsigned i = 0; i < EXITLAB_ROM_SIZE / 4; i++)
		page[i] = EXITLAB_ROM_PATTERN(i);
	unsigned slot;
	if (aspace_slot_add(ASPACE_MEMSLOT, gpa, EXITLAB_ROM_SIZE, "read-only page", &slot, err, errlen)) {
		munmap(page, EXITLAB_ROM_SIZE);
		return -1;
	}
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = KVM_MEM_READONLY,
		.guest_phys_addr = gpa,
		.memory_size = EXITLAB_ROM_SIZE,
		.userspace_addr = (uintptr_t)page,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		int e = errno;
		aspace_slot_remove(slot);
		munmap(page, EXITLAB_ROM_SIZE);
		return errmsg(err, errlen, "KVM_SET_USER_MEMORY_REGION (read-only page): %s", strerror(e));
	}
	rom_gpa = gpa;
	rom_slot = slot;
	return 0;
}

uint64_t romslot_gpa(void) { return rom_gpa; }

bool romslot_mmio(uint64_t addr, uint8_t *data, unsigned size, bool is_write)
{
	if (!rom_gpa || addr < rom_gpa || addr - rom_gpa >= EXITLAB_ROM_SIZE)
		return false;
	if (is_write) {
		writes++;
		bytes += size;
	} else { /* KVM reads the slot itself; all ones, should one come */
		reads++;
		memset(data, 0xff, size);
	}
	if (trace_on(TRACE_IO))
		trace_emit(TRACE_IO, "mmio %s 0x%llx size %u (read-only page: %s)", is_write ? "write" : "read",
			   (unsigned long long)addr, size, is_write ? "dropped" : "all ones");
	return true;
}

void romslot_stats_print(FILE *out)
{
	if (!rom_gpa)
		return;
	fprintf(out, "stats: rom 0x%08llx+0x%x (read-only slot %u) writes %llu (%llu bytes, dropped)",
		(unsigned long long)rom_gpa, EXITLAB_ROM_SIZE, rom_slot, (unsigned long long)writes,
		(unsigned long long)bytes);
	fprintf(out, reads ? " reads that exited %llu\n" : "\n", (unsigned long long)reads);
}
