/*
 * bare-vm.c - the floor for VMM start-up time: create a VM with one page of
 * RAM and one vCPU, run it to its first exit (a real-mode OUT to port
 * 0xf4), and exit. scripts/bench times build/vmm booting the full guest
 * against this program, in the same sitting.
 *
 * usage: bare-vm [--help|--version]    exit 0 on success, 1 if KVM is
 * unusable, 2 for a bad argument
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h" /* VMM_VERSION: one version for all of exitlab */

int main(int argc, char **argv)
{
	/* out %al, $0xf4 ; hlt */
	static const unsigned char code[] = { 0xe6, 0xf4, 0xf4 };

	if (argc > 1 && !strcmp(argv[1], "--help")) {
		printf("usage: bare-vm [--help|--version]\n"
		       "Creates a KVM VM, runs it to its first exit, exits 0 (1 if KVM is unusable).\n");
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "--version")) {
		printf("exitlab bare-vm %s\n", VMM_VERSION);
		return 0;
	}
	if (argc > 1) {
		fprintf(stderr, "bare-vm: unknown argument '%s' (see --help)\n", argv[1]);
		return 2;
	}
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int vm = kvm < 0 ? -1 : ioctl(kvm, KVM_CREATE_VM, 0);
	unsigned char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || mem == MAP_FAILED) {
		perror("bare-vm: /dev/kvm");
		return 1;
	}
	memcpy(mem, code, sizeof(code));
	struct kvm_userspace_memory_region r = { .memory_size = 4096, .userspace_addr = (unsigned long)mem };
	int vcpu = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -1 : ioctl(vm, KVM_CREATE_VCPU, 0);
	int sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	struct kvm_run *run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	struct kvm_sregs s;
	if (vcpu < 0 || run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &s) < 0) {
		perror("bare-vm: vcpu");
		return 1;
	}
	s.cs.base = 0;
	s.cs.selector = 0;
	struct kvm_regs regs = { .rip = 0, .rflags = 2 };
	if (ioctl(vcpu, KVM_SET_SREGS, &s) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0 ||
	    ioctl(vcpu, KVM_RUN, 0) < 0) {
		perror("bare-vm: run");
		return 1;
	}
	return run->exit_reason == KVM_EXIT_IO && run->io.port == 0xf4 ? 0 : 1;
}
