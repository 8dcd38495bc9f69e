/*
 * trap.c - interrupt descriptor table and the exception reporter.
 *
 * The 32 architectural vectors each get a stub from entry.S that pushes the
 * vector and (when the CPU does not) a zero error code, so trap_handle()
 * always sees the same struct trap_frame. Vectors 32-63 are for device
 * interrupts: a driver installs a handler with trap_set_handler(), and
 * trap_handle() returns to the interrupted code after it (entry.S irets).
 */
#include "trap.h"

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
#define GATE_INTERRUPT 0x8e

#define IDT_VECTORS 64 /* 32 exceptions, 32 device vectors */
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

extern const uintptr_t trap_stub_table[64]; /* entry.S */
static trap_handler_fn *handlers[IDT_VECTORS];

static const char *const exception_names[32] = {
	"#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow",
	"#BR bound range", "#UD invalid opcode", "#NM device not available", "#DF double fault",
	"coprocessor overrun", "#TS invalid TSS", "#NP segment not present", "#SS stack fault",
	"#GP general protection", "#PF page fault", "reserved", "#MF x87 error", "#AC alignment check",
	"#MC machine check", "#XM SIMD error", "#VE virtualization", "#CP control protection",
};

/* A gate is built in two registers and stored with two 8-byte writes:
 * under a software KVM every store is emulated, so few and wide is fast. */
static void idt_set(int vector, const void *handler)
{
	uint64_t a = (uintptr_t)handler;
	uint64_t lo = (a & 0xffff) | (uint64_t)GDT_CODE64 << 16 | (uint64_t)GATE_INTERRUPT << 40 |
		      (a >> 16 & 0xffff) << 48;
	volatile uint64_t *gate = (volatile uint64_t *)&idt[vector];

	gate[0] = lo;
	gate[1] = a >> 32;
}

void trap_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	/* Only the 32 exception vectors now; device vectors when a driver
	 * asks. An interrupt on an empty gate raises #NP, one beyond the limit
	 * #GP, whose error codes name the vector (index << 3 | 2): reported
	 * like any exception. Filling 256 gates would cost milliseconds on a
	 * software KVM. */
	for (int v = 0; v < 32; v++)
		idt_set(v, (const void *)trap_stub_table[v]);
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void trap_set_handler(unsigned vector, trap_handler_fn *fn)
{
	assert(vector >= 32 && vector < IDT_VECTORS);
	handlers[vector] = fn;
	idt_set((int)vector, (const void *)trap_stub_table[vector]);
}

void trap_handle(struct trap_frame *f);
void trap_handle(struct trap_frame *f)
{
	if (f->vector < IDT_VECTORS && handlers[f->vector]) {
		handlers[f->vector](f->vector);
		return;
	}
	const char *name = "unexpected vector";
	if (f->vector < 32)
		name = exception_names[f->vector] ? exception_names[f->vector] : "reserved";

	printf("exception: vector %lu (%s) error 0x%lx rip 0x%lx rsp 0x%lx rflags 0x%lx\n", f->vector,
	       name, f->error, f->rip, f->rsp, f->rflags);
	if (f->vector == 14) {
		uint64_t cr2;
		__asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
		printf("exception: page fault address (cr2) 0x%lx\n", cr2);
	}
	guest_exit(EXITLAB_EXIT_EXCEPTION);
}
