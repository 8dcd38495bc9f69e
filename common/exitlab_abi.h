/*
 * exitlab_abi.h - the contract between the exitlab guest and the exitlab VMM.
 *
 * Everything that crosses the seam and is not a public standard lives here:
 * the ports the guest may touch, the exit-status convention, and the
 * "exitlab" boot module through which the VMM advertises what it offers
 * beyond plain PVH (a buffered console, the TSC frequency).
 *
 * The boot module is an ordinary PVH module (struct hvm_modlist_entry) whose
 * cmdline is EXITLAB_BOOT_MODULE_NAME and whose bytes are a struct
 * exitlab_boot_info. A guest that finds no such module is under another VMM
 * (QEMU, Firecracker...) and falls back to the UART and its own TSC
 * calibration.
 *
 * Rules: self-contained (<stdint.h> only); append-only; bump
 * EXITLAB_ABI_VERSION when a field is added; each item says who writes it.
 */
#ifndef EXITLAB_ABI_H
#define EXITLAB_ABI_H

#include <stdint.h>

#define EXITLAB_ABI_VERSION 4 /* 2: scratch_msr; 3: rom_paddr, irq_port, pt_bdf; 4: console_buf_paddr */

/*
 * Guest exit: the guest writes a 32-bit status to this port (QEMU's
 * isa-debug-exit semantics: -device isa-debug-exit,iobase=0xf4,iosize=4).
 * Writer: guest. QEMU then exits with (status << 1) | 1; the exitlab VMM and
 * scripts/run-qemu both report plain `status` as their exit code.
 */
#define EXITLAB_PORT_EXIT 0xf4

/* Guest exit statuses (written to EXITLAB_PORT_EXIT). */
#define EXITLAB_EXIT_OK 0        /* every action succeeded */
#define EXITLAB_EXIT_FAIL 1      /* an action failed or an assertion fired */
#define EXITLAB_EXIT_USAGE 2     /* unknown or malformed command-line action */
#define EXITLAB_EXIT_EXCEPTION 3 /* a CPU exception reached the IDT */
#define EXITLAB_EXIT_GUEST_MAX 123 /* highest status passed through as is */

/* Runner exit codes (VMM and scripts/run-qemu), above the guest's range. */
#define EXITLAB_RC_TIMEOUT 124 /* --timeout expired (as timeout(1)) */
#define EXITLAB_RC_ERROR 125   /* the runner failed: options, image, KVM */
#define EXITLAB_RC_CRASH 126   /* the guest died: triple fault, bad exit */

/*
 * COM1 16550 UART, present under every VMM. Writer: guest. The scratch
 * register (base + 7) has no side effect, so the exit benchmarks use it as
 * "a port handled in userspace" under both the exitlab VMM and QEMU.
 */
#define EXITLAB_PORT_COM1 0x3f8
#define EXITLAB_PORT_COM1_SCR (EXITLAB_PORT_COM1 + 7)

/*
 * Buffered console (only when advertised in exitlab_boot_info). The guest
 * fills a struct exitlab_console_buf in its own memory and writes that
 * buffer's guest-physical address (below 4 GiB) to console_port with a
 * 32-bit OUT: one exit per line instead of two per byte.
 * Writer: guest. Reader: VMM, which checks len against the buffer size and
 * the address against guest RAM.
 */
#define EXITLAB_CONSOLE_BUF_MAX 4096

struct exitlab_console_buf {
	uint32_t len; /* bytes used in data[], <= EXITLAB_CONSOLE_BUF_MAX */
	uint32_t reserved;
	char data[EXITLAB_CONSOLE_BUF_MAX];
};

/*
 * Markers: the guest writes the guest-physical address (below 4 GiB) of a
 * struct exitlab_mark with a 32-bit OUT, at the start and end of every
 * action and for mark=TEXT, so that a timeline (--trace, perf's kvm_pio
 * events) can be cut to one action. The exitlab VMM logs them (--trace
 * class mark), checking address and length; QEMU has nothing at this port
 * and drops the write, but the exit is still there for perf to see.
 * Writer: guest. Reader: VMM.
 */
#define EXITLAB_PORT_MARK 0x4ec
#define EXITLAB_MARK_TEXT_MAX 120
#define EXITLAB_MARK_BEGIN 1 /* an action starts: text is the action as written */
#define EXITLAB_MARK_END 2   /* it ended: text is "ACTION rc=N" */
#define EXITLAB_MARK_TEXT 3  /* mark=TEXT */

struct exitlab_mark {
	uint32_t kind; /* EXITLAB_MARK_* */
	uint32_t len;  /* bytes of text, <= EXITLAB_MARK_TEXT_MAX, no NUL needed */
	char text[EXITLAB_MARK_TEXT_MAX];
};

/*
 * An MSR the VMM serves in userspace (KVM_CAP_X86_USER_SPACE_MSR and a
 * KVM_X86_SET_MSR_FILTER that denies it to the kernel), for the bench's
 * userspace-MSR exit: RDMSR reads what the last WRMSR wrote (0 at first).
 * From the range Intel reserves for hypervisors (0x40000000-0x400000ff);
 * only when advertised in exitlab_boot_info.scratch_msr. Writer: guest.
 */
#define EXITLAB_MSR_SCRATCH 0x400000f0u

/*
 * The read-only page (only when advertised: exitlab_boot_info.rom_paddr):
 * one page of guest memory above RAM, a KVM_MEM_READONLY memory slot, so
 * loads run at memory speed and every store exits to the VMM as MMIO
 * (KVM_EXIT_MMIO), which counts it (--stats) and drops it: the page keeps
 * its contents. The VMM fills it with EXITLAB_ROM_PATTERN(i) in dword i.
 * In the memory map as reserved. Writer: VMM (at boot). Reader: guest.
 */
#define EXITLAB_ROM_SIZE 4096
#define EXITLAB_ROM_PATTERN(i) (0x524f4d00u ^ (uint32_t)(i)) /* "ROM" */

/*
 * Interrupt-injection bench (only when advertised: exitlab_boot_info.irq_port,
 * which needs KVM's in-kernel irqchip). The guest writes the guest-physical
 * address (below 4 GiB) of a struct exitlab_irq_req with a 32-bit OUT. The
 * VMM routes its MSI GSI to `vector` (fixed destination: APIC ID 0), fills
 * in the fields below, and writes 1 to that GSI's irqfd, from the vCPU
 * thread during that same exit: the interrupt is pending when the vCPU
 * re-enters. Writer: guest (vector), VMM (the rest). Reader: the other.
 */
#define EXITLAB_PORT_IRQ_BENCH 0x4f0
#define EXITLAB_IRQ_CORRELATED 1u /* write_tsc is in the guest's TSC */

struct exitlab_irq_req {
	uint32_t vector;     /* 32-255; guest */
	uint32_t flags;      /* EXITLAB_IRQ_*; VMM: 0 if it could not read the guest's TSC */
	uint64_t write_tsc;  /* the host TSC just before the irqfd write, as the guest's TSC */
	uint64_t window;     /* host TSC cycles the guest-TSC reading took (its uncertainty) */
	uint64_t served;     /* requests the VMM has served, this one included */
};
_Static_assert(sizeof(struct exitlab_irq_req) == 32, "irq req");

/* The boot module. Writer: VMM, but for console_buf_paddr. Reader: guest,
 * and the VMM that one. */
#define EXITLAB_BOOT_MODULE_NAME "exitlab"
#define EXITLAB_BOOT_MAGIC 0x6c746978u /* "xitl" */

struct exitlab_boot_info {
	uint32_t magic;        /* EXITLAB_BOOT_MAGIC */
	uint32_t version;      /* EXITLAB_ABI_VERSION of the VMM */
	uint64_t tsc_khz;      /* KVM_GET_TSC_KHZ, 0 if unknown */
	uint16_t console_port; /* buffered console port, 0 if none */
	uint16_t reserved0;
	uint32_t scratch_msr;  /* v2: EXITLAB_MSR_SCRATCH when the VMM serves it, else 0 */
	char vmm_version[16];  /* NUL-terminated, e.g. "0.1" */
	/* v3 (the module's size says 64 bytes): */
	uint64_t rom_paddr;    /* a read-only page (KVM_MEM_READONLY slot, EXITLAB_ROM_*), 0 if none */
	uint32_t rom_size;     /* its bytes (4096), 0 if none */
	uint16_t irq_port;     /* EXITLAB_PORT_IRQ_BENCH when served, else 0 */
	uint16_t pt_count;     /* passthrough functions (--passthrough) */
	uint16_t pt_bdf;       /* the first one's bus:device.function (VMM numbering), if pt_count */
	uint16_t reserved1;
	/* v4, written by the guest (the VMM passes 0): the guest-physical
	 * address of its struct exitlab_console_buf, where lines wait for a
	 * flush. A VMM that ends the VM without the guest's flush (a triple
	 * fault, a timeout) prints what is left there, so a held report
	 * (console_hold) is not lost with the guest. 0: not told. */
	uint32_t console_buf_paddr;
};

_Static_assert(sizeof(struct exitlab_console_buf) == 8 + EXITLAB_CONSOLE_BUF_MAX, "console buf");
_Static_assert(__builtin_offsetof(struct exitlab_mark, text) == 8 && sizeof(struct exitlab_mark) == 128, "mark");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, tsc_khz) == 8, "tsc_khz");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, console_port) == 16, "console_port");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, scratch_msr) == 20, "scratch_msr");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, vmm_version) == 24, "vmm_version");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, rom_paddr) == 40, "rom_paddr");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, pt_bdf) == 56, "pt_bdf");
_Static_assert(__builtin_offsetof(struct exitlab_boot_info, console_buf_paddr) == 60, "console_buf_paddr");
_Static_assert(sizeof(struct exitlab_boot_info) == 64, "exitlab_boot_info size");
#define EXITLAB_BOOT_INFO_V2_SIZE 40 /* what a version-2 VMM passes */

/* Buffered console port (an otherwise unused ISA port). */
#define EXITLAB_PORT_CONSOLE 0x4e8

#endif
