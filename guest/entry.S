/*
 * entry.S - from the PVH 32-bit entry to C in long mode, at CPL 3.
 *
 * A PVH loader jumps to pvh_start32 in 32-bit protected mode with paging
 * off, flat segments and %ebx = guest-physical address of hvm_start_info
 * (pvh.h). We load our own GDT and identity page tables for the low 4 GiB
 * with 2 MiB pages (no dependency on 1 GiB pages), turn on PAE + long mode
 * + paging, far-jump to 64-bit code, load the TSS, drop to CPL 3 with
 * every port open in the TSS's I/O bitmap, clear BSS and call
 * guest_main(start_info).
 *
 * Why CPL 3: on a software KVM (DESIGN.md, "This host") ring-0 code is
 * emulated an instruction at a time, 1-12 us each, while ring-3 code runs
 * natively. The TSS's I/O bitmap lets ring 3 use IN and OUT (not IOPL 3:
 * this host's KVM drops IOPL at the first exit); CPUID, RDTSC and MMIO work
 * there anyway, so every exit the benchmarks time is the same exit. What
 * needs ring 0 later (HLT, MSRs) goes through ring0_call() below: an INT3
 * through #BP's gate, which has DPL 3, to trap_ring0_entry, which calls a
 * function at CPL 0. Exceptions and interrupts run at CPL 0
 * on kstack (the TSS's RSP0).
 *
 * The page tables are built by the assembler, not at run time: they arrive
 * in the image like any data. Every instruction before the drop to ring 3
 * is emulated, so there are few.
 *
 * Also here: the IDT entry stubs, which push a uniform frame (vector and
 * error code) and call trap_handle() in trap.c.
 */
#include "trap_vectors.h"

#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_U 0x4
#define PTE_PS 0x80
#define RFLAGS_FIXED (1 << 1)
#define GDT_KERNEL_DS 0x10
#define GDT_USER_DS (0x18 | 3)
#define GDT_USER_CS (0x20 | 3)
#define GDT_TSS 0x28
#define TSS_SIZE 104                  /* the 64-bit TSS proper */
#define TSS_IOMAP_SIZE (65536 / 8 + 1)  /* a bit per port, then an all-ones byte */
#define TSS_LIMIT (TSS_SIZE + TSS_IOMAP_SIZE - 1)
#define TSS_TYPE_AVAILABLE 0x89 /* present, DPL 0, available 64-bit TSS */
#define STACK_SIZE (64 * 1024)
#define KSTACK_SIZE (16 * 1024)

/* The PVH note: owner "Xen", type XEN_ELFNOTE_PHYS32_ENTRY, a 32-bit entry. */
	.section .note.pvh, "a"
	.p2align 2
	.long 4                 /* namesz, "Xen\0" */
	.long 4                 /* descsz */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start32

	.section .text.entry, "ax"
	.code32
	.globl pvh_start32
pvh_start32:
	cli
	cld
	mov %ebx, %esi                  /* keep hvm_start_info across the setup */

	/* Long mode: PAE, CR3, EFER.LME, then paging. */
	mov %cr4, %eax
	or $CR4_PAE, %eax
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $EFER_LME, %eax
	wrmsr
	lgdt gdt_desc
	lidt idt_desc                   /* empty until trap_init() fills it */
	mov %cr0, %eax
	or $(CR0_PE | CR0_PG), %eax
	mov %eax, %cr0
	ljmp $0x08, $start64

	.code64
start64:
	mov $GDT_KERNEL_DS, %eax
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs

	/* The TSS descriptor: its base (below 2 GiB, linker/guest.ld) is split
	 * across the descriptor, which the assembler cannot do with a
	 * relocation. Low dword: base[15:0] << 16 | limit; high dword:
	 * base[31:24] << 24 | type << 8 | base[23:16]. */
	mov $tss, %eax
	mov %eax, %ecx
	shl $16, %eax
	or $TSS_LIMIT, %eax
	mov %eax, gdt_tss
	mov %ecx, %eax
	and $0xff000000, %ecx
	shr $16, %eax
	movzbl %al, %eax
	or %ecx, %eax
	or $(TSS_TYPE_AVAILABLE << 8), %eax
	mov %eax, gdt_tss + 4
	mov $GDT_TSS, %eax
	ltr %ax

	/* To CPL 3, interrupts still off (RFLAGS.IF = 0, IOPL 0: CLI and STI
	 * would fault there, and the guest has no use for them): IRETQ pops
	 * RIP, CS, RFLAGS, RSP, SS. */
	mov $kstack_top, %esp
	mov $GDT_USER_DS, %eax
	mov %eax, %ds
	mov %eax, %es
	push $GDT_USER_DS
	push $stack_top
	push $RFLAGS_FIXED
	push $GDT_USER_CS
	push $start_user
	iretq

start_user:
	/* Clear BSS, now at native speed. The stacks and the page tables are
	 * not in it (linker/guest.ld). */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	xor %eax, %eax
	rep stosb
	xor %ebp, %ebp
	mov %esi, %edi                  /* zero-extends: hvm_start_info * */
	call guest_main
	/* guest_main never returns; if it does, stop loudly. */
	ud2

/* uint64_t ring0_call(ring0_fn *fn, uint64_t arg) (trap.h), at CPL 3 or 0:
 * INT3 with %rax = fn, %rdi = arg; fn's result comes back in %rax. A call
 * like any other, so the compiler keeps nothing in the registers fn may
 * clobber. trap_ring0_entry runs fn only for the INT3 here, known by the
 * return address the CPU pushed; any other INT3 is a breakpoint, reported
 * as #BP. An interrupt gate, so interrupts stay off. The CPU aligned RSP to
 * 16 and pushed five words (SS, RSP, RFLAGS, CS, RIP): one more word
 * aligns the call. */
	.globl ring0_call
ring0_call:
	mov %rdi, %rax
	mov %rsi, %rdi
	int3
ring0_call_return:
	ret

	.globl trap_ring0_entry
trap_ring0_entry:
	cmpq $ring0_call_return, (%rsp)
	jne trap_stub_3
	sub $8, %rsp
	call *%rax
	add $8, %rsp
	iretq

/* Entry stubs: each pushes (a zero error code if the CPU did not, and) its
 * vector, so trap_handle always sees the same struct trap_frame. */
.macro TRAP_NOERR vec
	.globl trap_stub_\vec
trap_stub_\vec:
	push $0
	push $\vec
	jmp trap_common
.endm
.macro TRAP_ERR vec
	.globl trap_stub_\vec
trap_stub_\vec:
	push $\vec
	jmp trap_common
.endm

/* Vectors 0-31: the CPU pushes an error code for 8, 10-14, 17, 21, 29, 30. */
.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
	TRAP_NOERR \v
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
	TRAP_ERR \v
.endr
/* Vectors 32-63: device interrupts (MSI-X), installed by trap_set_handler.
 * The guest takes them only in trap_wait_ring0's STI; HLT (interrupts are
 * off everywhere else), whose caller keeps nothing in the registers a C
 * function may clobber: there, the stub saves nothing, calls the handler
 * and returns. At CPL 0 every instruction is emulated on a software KVM,
 * a microsecond or more each, per interrupt. An interrupt taken anywhere
 * else goes the whole way through trap_common. */
.macro TRAP_IRQ vec
	.globl trap_stub_\vec
trap_stub_\vec:
	cmpq $trap_wait_resume, (%rsp)  /* the interrupted RIP */
	jne 1f
	sub $8, %rsp                    /* five words pushed: align the call */
	mov $\vec, %edi
	call *(trap_handlers + 8 * \vec)
	add $8, %rsp
	iretq
1:	push $0
	push $\vec
	jmp trap_common
.endm
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	TRAP_IRQ \v
.endr

/* ring0_fn (trap.h) that sleeps until an interrupt: STI's one-instruction
 * shadow means one already pending is taken at the HLT, so none slips in
 * between the caller's check and the sleep. */
	.globl trap_wait_ring0
trap_wait_ring0:
	sti
	hlt
trap_wait_resume:
	cli
	xor %eax, %eax
	ret

	.section .rodata
	.p2align 3
	.globl trap_stub_table
trap_stub_table:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	.quad trap_stub_\v
.endr
	.text

trap_common:
	/* Save the general registers so the handler can print them. */
	push %rax
	push %rcx
	push %rdx
	push %rbx
	push %rbp
	push %rsi
	push %rdi
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi                  /* struct trap_frame * */
	mov %rsp, %rbx                  /* callee-saved: the frame, after the call */
	and $-16, %rsp
	call trap_handle                /* returns only for device interrupts */
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rdi
	pop %rsi
	pop %rbp
	pop %rbx
	pop %rdx
	pop %rcx
	pop %rax
	add $16, %rsp                   /* vector and error code */
	iretq

/* The GDT is written at boot (the TSS descriptor, and LTR marks it busy). */
	.data
	.p2align 3
gdt:
	.quad 0                         /* null */
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
	.quad 0x00cff2000000ffff        /* 0x18: data, DPL 3 */
	.quad 0x00affa000000ffff        /* 0x20: 64-bit code, DPL 3 */
gdt_tss:
	.quad 0, 0                      /* 0x28: 64-bit TSS, built by start64 */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

idt_desc:
	.word TRAP_IDT_VECTORS * TRAP_GATE_SIZE - 1
	.quad trap_idt

	.bss
	.p2align 4
	.globl trap_idt
trap_idt:
	.skip TRAP_IDT_VECTORS * TRAP_GATE_SIZE

	.data
/* 64-bit TSS (Intel SDM Vol. 3 §8.7): RSP0, the stack the CPU switches to
 * when an exception or interrupt arrives at CPL 3, and the I/O permission
 * bitmap (§19.5.2): a clear bit lets CPL 3 use that port; every port is
 * open. The byte after the bitmap must be all ones. */
	.p2align 4
tss:
	.long 0
	.quad kstack_top                /* rsp0 */
	.quad 0, 0                      /* rsp1, rsp2 */
	.quad 0                         /* reserved */
	.quad 0, 0, 0, 0, 0, 0, 0       /* ist1-7 */
	.quad 0                         /* reserved */
	.word 0, TSS_SIZE               /* reserved, I/O map base */
	.fill 65536 / 8, 1, 0           /* I/O bitmap: every port open */
	.byte 0xff
tss_end:
	.if tss_end - tss != TSS_LIMIT + 1
	.error "the 64-bit TSS is 104 bytes and the I/O bitmap"
	.endif

/* Identity map of 0..4 GiB: PML4[0] -> PDPT; PDPT[0..3] -> four page
 * directories of 2 MiB pages, all user-accessible (PTE_U: the C code runs
 * at CPL 3; CR4.SMEP/SMAP stay off, so ring 0 may use them too). The top 2 GiB (MMIO: ECAM - at 0xb0000000 on
 * QEMU q35 -, PCI BARs, the local APIC; the exitlab VMM keeps RAM below
 * 2 GiB) are mapped uncached. GAS comparisons give -1 for true. */
	.section .data.pagetables, "aw"
	.p2align 12
pml4:	.quad pdpt + (PTE_P | PTE_W | PTE_U)
	.fill 511, 8, 0
pdpt:	.quad pd + (PTE_P | PTE_W | PTE_U), pd + 0x1000 + (PTE_P | PTE_W | PTE_U)
	.quad pd + 0x2000 + (PTE_P | PTE_W | PTE_U), pd + 0x3000 + (PTE_P | PTE_W | PTE_U)
	.fill 508, 8, 0
pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | PTE_P | PTE_W | PTE_U | PTE_PS | ((i >= 1024) & (PTE_PCD | PTE_PWT))
	.set i, i + 1
	.endr

	.section .noinit, "aw", @nobits /* lib.h NOINIT: reserved, never cleared */
	.p2align 4
stack:	.skip STACK_SIZE
stack_top:
kstack:	.skip KSTACK_SIZE               /* CPL 0: exceptions, interrupts, ring0_call */
kstack_top:
