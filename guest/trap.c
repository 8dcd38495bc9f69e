/*
 * trap.c - interrupt descriptor table and the exception reporter.
 *
 * The 32 architectural vectors each get a stub from entry.S that pushes the
 * vector and (when the CPU does not) a zero error code, so trap_handle()
 * always sees the same struct trap_frame. Vectors above 31 stay not
 * present until a driver installs one.
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

#define IDT_VECTORS 32 /* raise as drivers install interrupt vectors */
static struct idt_gate idt[IDT_VECTORS] __attribute__((aligned(16)));

#define STUB(n) extern char trap_stub_##n[];
STUB(0) STUB(1) STUB(2) STUB(3) STUB(4) STUB(5) STUB(6) STUB(7)
STUB(8) STUB(9) STUB(10) STUB(11) STUB(12) STUB(13) STUB(14) STUB(15)
STUB(16) STUB(17) STUB(18) STUB(19) STUB(20) STUB(21) STUB(22) STUB(23)
STUB(24) STUB(25) STUB(26) STUB(27) STUB(28) STUB(29) STUB(30) STUB(31)

static char *const exception_stubs[32] = {
	trap_stub_0, trap_stub_1, trap_stub_2, trap_stub_3, trap_stub_4, trap_stub_5, trap_stub_6,
	trap_stub_7, trap_stub_8, trap_stub_9, trap_stub_10, trap_stub_11, trap_stub_12, trap_stub_13,
	trap_stub_14, trap_stub_15, trap_stub_16, trap_stub_17, trap_stub_18, trap_stub_19, trap_stub_20,
	trap_stub_21, trap_stub_22, trap_stub_23, trap_stub_24, trap_stub_25, trap_stub_26, trap_stub_27,
	trap_stub_28, trap_stub_29, trap_stub_30, trap_stub_31,
};

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

	/* Only the 32 exception vectors: an interrupt on a vector beyond the
	 * IDT limit raises #GP (vector 13), whose error code names the vector
	 * (index << 3 | 2), and is reported like any exception. Filling 256
	 * gates would cost milliseconds on a software KVM. */
	for (int v = 0; v < IDT_VECTORS; v++)
		idt_set(v, exception_stubs[v]);
	__asm__ volatile("lidt %0" ::"m"(idtr));
}

void trap_handle(struct trap_frame *f);
void trap_handle(struct trap_frame *f)
{
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
