/*
 * trap.c - interrupt descriptor table and the exception reporter.
 *
 * The 32 architectural vectors each get a stub from entry.S that pushes the
 * vector and (when the CPU does not) a zero error code, so trap_handle()
 * always sees the same struct trap_frame. Vectors 32-63 are for device
 * interrupts: a driver installs a handler with trap_set_handler(), and
 * trap_handle() returns to the interrupted code after it (entry.S irets).
 * Vector 3 (#BP) is ring0_call's gate, the only one that CPL 3 may use.
 * The handlers run at CPL 0, where every instruction is emulated on a
 * software KVM: they are kept short. Filling gates needs no privilege.
 */
#include "trap.h"

#include "cpu.h"
#include "exitlab_abi.h"
#include "lib.h"

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* present, DPL 0, 64-bit interrupt gate */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");
_Static_assert(sizeof(struct trap_frame) == 22 * 8, "matches trap_common in entry.S");

#define GDT_CODE64 0x08
#define GATE_INTERRUPT 0x8e      /* present, DPL 0: CPU and devices only */
#define GATE_INTERRUPT_USER 0xee /* present, DPL 3: INT from CPL 3 too */

#define IDT_VECTORS TRAP_IDT_VECTORS
extern struct idt_gate trap_idt[IDT_VECTORS]; /* entry.S: in BSS, loaded by LIDT */
_Static_assert(sizeof(struct idt_gate) == TRAP_GATE_SIZE, "entry.S reserves the IDT");

extern const uintptr_t trap_stub_table[64]; /* entry.S */
extern const char trap_ring0_entry[];      /* entry.S */
/* Device interrupt handlers; entry.S's device stubs call through it. */
extern trap_handler_fn *trap_handlers[IDT_VECTORS];
trap_handler_fn *trap_handlers[IDT_VECTORS];
extern ring0_fn trap_wait_ring0; /* entry.S: STI; HLT; CLI */

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

/* A gate is built in two registers and stored with two 8-byte writes. */
static void idt_set(int vector, const void *handler, uint8_t type)
{
	uint64_t a = (uintptr_t)handler;
	uint64_t lo = (a & 0xffff) | (uint64_t)GDT_CODE64 << 16 | (uint64_t)type << 40 |
		      (a >> 16 & 0xffff) << 48;
	volatile uint64_t *gate = (volatile uint64_t *)&trap_idt[vector];

	gate[0] = lo;
	gate[1] = a >> 32;
}

void trap_init(void)
{
	/* Only the 32 exception vectors now, #BP's for ring0_call; device vectors
	 * when a driver asks. An interrupt on an empty gate raises #NP, one
	 * beyond the limit #GP, whose error codes name the vector (index << 3
	 * | 2): reported like any exception. */
	for (int v = 0; v < 32; v++)
		idt_set(v, (const void *)trap_stub_table[v], GATE_INTERRUPT);
	idt_set(TRAP_RING0_VECTOR, trap_ring0_entry, GATE_INTERRUPT_USER);
}

void trap_set_handler(unsigned vector, trap_handler_fn *fn)
{
	assert(vector >= 32 && vector < IDT_VECTORS);
	trap_handlers[vector] = fn;
	idt_set((int)vector, (const void *)trap_stub_table[vector], GATE_INTERRUPT);
}

void trap_wait_interrupt(void) { ring0_call(trap_wait_ring0, 0); }

__attribute__((noreturn)) static uint64_t halt_ring0(uint64_t unused)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void trap_halt(void)
{
	ring0_call(halt_ring0, 0);
	__builtin_unreachable();
}

void trap_handle(struct trap_frame *f);
void trap_handle(struct trap_frame *f)
{
	if (f->vector < IDT_VECTORS && trap_handlers[f->vector]) {
		trap_handlers[f->vector](f->vector);
		return;
	}
	/* A fault while reporting one (the console, the stack): stop at once
	 * with the same status rather than recurse down the stack. */
	static bool reporting;
	if (reporting) {
		outl(EXITLAB_PORT_EXIT, EXITLAB_EXIT_EXCEPTION);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	reporting = true;
	const char *name = "unexpected vector";
	if (f->vector < 32)
		name = exception_names[f->vector] ? exception_names[f->vector] : "reserved";

	printf("exception: vector %lu (%s) error 0x%lx rip 0x%lx rsp 0x%lx rflags 0x%lx cpl %lu\n",
	       f->vector, name, f->error, f->rip, f->rsp, f->rflags, f->cs & 3);
	if (f->vector == 14) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		printf("exception: page fault address (cr2) 0x%lx\n", cr2);
	}
	guest_exit(EXITLAB_EXIT_EXCEPTION);
}
