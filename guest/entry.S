/*
 * entry.S - from the PVH 32-bit entry to C in long mode.
 *
 * A PVH loader jumps to pvh_start32 in 32-bit protected mode with paging
 * off, flat segments and %ebx = guest-physical address of hvm_start_info
 * (pvh.h). We clear BSS, load our own GDT and identity page tables for the
 * low 4 GiB with 2 MiB pages (no dependency on 1 GiB pages), turn on
 * PAE + long mode + paging, far-jump to 64-bit code, set up a stack and call
 * guest_main(start_info).
 *
 * The page tables are built by the assembler, not at run time: they arrive
 * in the image like any data. Under a software KVM every guest instruction
 * is costly (DESIGN.md, "This host"), and a 2048-entry loop is not free.
 *
 * Also here: the IDT entry stubs, which push a uniform frame (vector and
 * error code) and call trap_handle() in trap.c.
 */
#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80
#define STACK_SIZE (64 * 1024)

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

	/* Clear BSS, 4 bytes a store (the linker script keeps it 16-byte
	 * aligned). The stack and the page tables are not in it. Every guest
	 * instruction counts on a software KVM, so BSS is kept small. */
	mov $__bss_start, %edi
	mov $__bss_end, %ecx
	sub %edi, %ecx
	shr $2, %ecx
	xor %eax, %eax
	rep stosl

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
	mov %cr0, %eax
	or $(CR0_PE | CR0_PG), %eax
	mov %eax, %cr0
	ljmp $0x08, $start64

	.code64
start64:
	mov $0x10, %eax
	mov %eax, %ds
	mov %eax, %es
	mov %eax, %ss
	xor %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	lea stack_top(%rip), %rsp
	xor %ebp, %ebp
	mov %esi, %edi                  /* zero-extends: hvm_start_info * */
	call guest_main
	/* guest_main never returns; if it does, stop loudly. */
	ud2

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
/* Vectors 32-63: device interrupts (MSI-X), installed by trap_set_handler. */
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63
	TRAP_NOERR \v
.endr

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

	.section .rodata
	.p2align 3
gdt:
	.quad 0                         /* null */
	.quad 0x00af9a000000ffff        /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff        /* 0x10: data, DPL 0 */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.quad gdt

/* Identity map of 0..4 GiB: PML4[0] -> PDPT; PDPT[0..3] -> four page
 * directories of 2 MiB pages. The top 2 GiB (MMIO: ECAM - at 0xb0000000 on
 * QEMU q35 -, PCI BARs, the local APIC; the exitlab VMM keeps RAM below
 * 2 GiB) are mapped uncached. GAS comparisons give -1 for true. */
	.section .data.pagetables, "aw"
	.p2align 12
pml4:	.quad pdpt + (PTE_P | PTE_W)
	.fill 511, 8, 0
pdpt:	.quad pd + (PTE_P | PTE_W), pd + 0x1000 + (PTE_P | PTE_W)
	.quad pd + 0x2000 + (PTE_P | PTE_W), pd + 0x3000 + (PTE_P | PTE_W)
	.fill 508, 8, 0
pd:
	.set i, 0
	.rept 2048
	.quad (i << 21) | PTE_P | PTE_W | PTE_PS | ((i >= 1024) & (PTE_PCD | PTE_PWT))
	.set i, i + 1
	.endr

	.section .stack, "aw", @nobits
	.p2align 4
stack:	.skip STACK_SIZE
stack_top:
