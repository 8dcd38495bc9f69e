# exitlab - one plain Makefile.
#
#   make            build/vmm, build/guest.elf, build/pciinfo and the unit tests
#   make run        boot the guest under the VMM (installs missing packages)
#   make run-qemu   boot the same image under QEMU (q35, KVM or TCG)
#   make test       everything, then every test through prove (TAP)
#   make test-nokvm the same tests where /dev/kvm does not exist
#   make bench      exit-latency table (exitlab VMM, QEMU, the bare-KVM floor), start-up
#                   time; saved in build/bench/ as JSON, CSV and a plot
#   make fuzz-smoke bounded libFuzzer runs under ASan/UBSan (clang)
#   make fuzz-long  long runs: thousands of mutated guest images (fuzz-long-images)
#
# Two worlds: the guest is freestanding (GUEST_CFLAGS, linker/guest.ld); the
# VMM, tools and tests are ordinary hosted programs (CFLAGS). Code in common/
# is compiled for both.

CROSS_COMPILE ?=
CC ?= cc
GUEST_CC := $(CROSS_COMPILE)gcc
GUEST_LD := $(CROSS_COMPILE)ld
HOSTCC := $(CC)
FUZZCC ?= clang
B := build

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wno-unused-parameter -Wformat=2 -Wvla -Wcast-qual -Wpointer-arith -Wwrite-strings
DEPFLAGS = -MMD -MP

# Freestanding flags for the guest, in one place.
GUEST_CFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-builtin -nostdlib \
	-fno-pic -fno-pie -fno-stack-protector -mno-red-zone -mgeneral-regs-only \
	-mcmodel=small -fno-asynchronous-unwind-tables -fno-omit-frame-pointer \
	-Icommon -Iguest
GUEST_LDFLAGS := -nostdlib -static -no-pie -z max-page-size=4096 \
	-z noexecstack --no-warn-rwx-segments -T linker/guest.ld

CFLAGS ?= -O2 -g
# Hardening for everything that runs on the host (not the guest: it has no
# libc to check buffers or a canary to keep).
HOST_HARDEN := -fstack-protector-strong -D_FORTIFY_SOURCE=2
HOST_CFLAGS := -std=gnu11 $(CFLAGS) $(HOST_HARDEN) $(WARN) -D_GNU_SOURCE -iquote common -iquote vmm -iquote $(B)/gen
HOST_LDLIBS := -lpthread

# Quiet: one "CC file" line per step; make V=1 prints the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

COMMON_SRC := $(wildcard common/*.c)
# Host programs built from sources in one step (the ASan VMM, the fuzzers)
# depend on every header too, so a header edit rebuilds them.
HOST_HEADERS := $(wildcard common/*.h vmm/*.h)
GUEST_SRC := $(wildcard guest/*.c) $(wildcard guest/*.S)
VMM_SRC := $(wildcard vmm/*.c)
TOOL_SRC := $(wildcard tools/*.c)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
TESTLIB_SRC := $(wildcard tests/lib/*.c)

GUEST_OBJ := $(patsubst %,$(B)/guest-obj/%.o,$(GUEST_SRC) $(COMMON_SRC))
COMMON_OBJ := $(patsubst %.c,$(B)/host-obj/%.o,$(COMMON_SRC))
VMM_LIB_OBJ := $(patsubst %.c,$(B)/host-obj/%.o,$(filter-out vmm/main.c,$(VMM_SRC)))
VMM_MAIN_OBJ := $(B)/host-obj/vmm/main.o
TESTLIB_OBJ := $(patsubst %.c,$(B)/host-obj/%.o,$(TESTLIB_SRC))
TOOLS := $(patsubst tools/%.c,$(B)/%,$(TOOL_SRC))
UNIT_TESTS := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZERS := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))

all: $(B)/vmm $(B)/vmm-asan $(B)/guest.elf $(TOOLS) $(UNIT_TESTS)

# --- guest ------------------------------------------------------------------
$(B)/guest-obj/%.c.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(B)/guest-obj/%.S.o: %.S
	@mkdir -p $(@D)
	$(call say,AS,$<)
	$(Q)$(GUEST_CC) $(GUEST_CFLAGS) $(DEPFLAGS) -c $< -o $@
$(B)/guest.elf: $(GUEST_OBJ) linker/guest.ld
	$(call say,LD,$@)
	$(Q)$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(GUEST_OBJ)

# --- host: VMM, tools, unit tests -------------------------------------------
# The sandbox's seccomp filter, compiled by libseccomp at build time
# (tools/build/gen_sandbox_bpf.c): the VMM installs it with two calls and
# does not link libseccomp.
SANDBOX_BPF := $(B)/gen/sandbox_bpf.h
$(B)/build-tools/gen_sandbox_bpf: tools/build/gen_sandbox_bpf.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $< -lseccomp
$(SANDBOX_BPF): $(B)/build-tools/gen_sandbox_bpf
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)$< $@
$(B)/host-obj/vmm/sandbox.o: $(SANDBOX_BPF)
$(B)/host-obj/%.o: %.c
	@mkdir -p $(@D)
	$(call say,CC,$<)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) $(DEPFLAGS) -c $< -o $@
# The VMM is linked static-pie: no dynamic loader at start and no shared
# libc mapped. Each page of a shared library the loader touches is mapped
# with its neighbours (fault-around), so the dynamic VMM's peak RSS was
# 2.0-2.3 MiB, 1.3 MiB of it libc.so's pages, and ld.so's work was a tenth
# of its start-up. Static, it keeps only the libc it calls (1.3-1.5 MiB in
# all) and still gets ASLR. libpci stays a dlopen() for --passthrough
# (libpci_load.c): glibc loads it with a libc.so of its own, so the linker
# says that dlopen needs the same glibc at run time, which Debian's
# packages give.
$(B)/vmm: $(VMM_MAIN_OBJ) $(VMM_LIB_OBJ) $(COMMON_OBJ)
	$(call say,LINK,$@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -static-pie -o $@ $^ $(HOST_LDLIBS) 2>$@.ldlog || \
		{ cat $@.ldlog >&2; rm -f $@; exit 1; }
	@grep -v -e "in function .libpci_load.:" -e "Using 'dlopen' in statically linked" $@.ldlog >&2 || true
$(B)/%: $(B)/host-obj/tools/%.o $(COMMON_OBJ)
	$(call say,LINK,$@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ $(HOST_LDLIBS)
$(B)/tests/%: $(B)/host-obj/tests/unit/%.o $(VMM_LIB_OBJ) $(COMMON_OBJ) $(TESTLIB_OBJ)
	@mkdir -p $(@D)
	$(call say,LINK,$@)
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $^ $(HOST_LDLIBS) -lcmocka
# The guest driver writes 0 to the high halves of ring addresses (identity
# map below 4 GiB): its host test must keep its ring pages there too.
$(B)/tests/test_guest_virtio_drv: HOST_LDLIBS += -no-pie

# The VMM under AddressSanitizer and UBSan, for the hostile-guest tests.
$(B)/vmm-asan: $(VMM_SRC) $(COMMON_SRC) $(HOST_HEADERS) $(SANDBOX_BPF)
	$(call say,ASAN,$@)
	$(Q)$(HOSTCC) -std=gnu11 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
		-fno-omit-frame-pointer $(WARN) -D_GNU_SOURCE -iquote common -iquote vmm -iquote $(B)/gen -o $@ $(filter %.c,$^) $(HOST_LDLIBS)

# --- fuzzing (clang, libFuzzer + ASan/UBSan) --------------------------------
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-D_GNU_SOURCE -iquote common -iquote vmm -iquote $(B)/gen
$(B)/fuzz/%: tests/fuzz/%.c $(COMMON_SRC) $(HOST_HEADERS)
	@mkdir -p $(@D)
	$(call say,FUZZ,$@)
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^)
# fuzz_vmm_*: targets inside the VMM (everything but its main).
$(B)/fuzz/fuzz_vmm_%: tests/fuzz/fuzz_vmm_%.c $(COMMON_SRC) $(filter-out vmm/main.c,$(VMM_SRC)) $(HOST_HEADERS) $(SANDBOX_BPF)
	@mkdir -p $(@D)
	$(call say,FUZZ,$@)
	$(Q)$(FUZZCC) $(FUZZ_FLAGS) -o $@ $(filter %.c,$^) $(HOST_LDLIBS)
FUZZ_SECONDS ?= 20
fuzz-smoke: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do \
		echo "fuzz: $$f for $(FUZZ_SECONDS)s"; \
		mkdir -p $(B)/fuzz/corpus-$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
			$(B)/fuzz/corpus-$$(basename $$f) tests/fuzz/corpus/$$(basename $$f); \
	done

# The guest-side fuzzer (guest/chaos.c) against the ASan VMM, seed after
# seed, for SECONDS (make test runs three seeds).
SECONDS ?= 300
fuzz-chaos: all
	CHAOS_SECONDS=$(SECONDS) CHAOS_COUNT=$${CHAOS_COUNT:-50000} prove -v tests/chaos-vmm.t

# --- long runs (not in make test): make fuzz-long runs every part ----------
fuzz-long: fuzz-long-images fuzz-long-libfuzzer
# Random mutants of the guest image against build/vmm-asan (tests/mutate-images.t;
# make test runs 400 with seed 1). A new seed each run unless given; a failure
# names its seed and index. The whole TAP stream is kept in the log.
FUZZ_LONG_MUTANTS ?= 5000
FUZZ_LONG_SEED ?= $(shell date +%s)
fuzz-long-images: all
	@MUTANTS=$(FUZZ_LONG_MUTANTS) MUTATE_SEED=$(FUZZ_LONG_SEED) prove -v tests/mutate-images.t \
		>$(B)/fuzz-long-images.log 2>&1; rc=$$?; grep -v '^ok ' $(B)/fuzz-long-images.log; \
		echo "fuzz-long-images: full log in $(B)/fuzz-long-images.log"; exit $$rc
# Each libFuzzer target for FUZZ_LONG_SECONDS (default 30 min of one
# core) from its corpus in the tree; what it finds that adds coverage is
# merged back into tests/fuzz/corpus/NAME (commit it), and the final
# stats are kept in build/fuzz/NAME.long.log.
FUZZ_LONG_SECONDS ?= 1800
fuzz-long-libfuzzer: $(FUZZERS)
	@set -e; for f in $(FUZZERS); do n=$$(basename $$f); \
		echo "fuzz-long: $$n for $(FUZZ_LONG_SECONDS)s"; \
		mkdir -p $(B)/fuzz/long-$$n; \
		$$f -max_total_time=$(FUZZ_LONG_SECONDS) -max_len=4096 -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/crash-$$n- $(B)/fuzz/long-$$n tests/fuzz/corpus/$$n \
			>$(B)/fuzz/$$n.long.log 2>&1 || { tail -n 30 $(B)/fuzz/$$n.long.log; exit 1; }; \
		grep -E '^(#[0-9]+ +DONE|stat::)' $(B)/fuzz/$$n.long.log; \
		$$f -merge=1 tests/fuzz/corpus/$$n $(B)/fuzz/long-$$n >/dev/null 2>&1; \
	done
.PHONY: fuzz-long fuzz-long-images fuzz-long-libfuzzer

# --- running ----------------------------------------------------------------
deps:
	@scripts/ensure-deps
ARGS ?= pci=list virtio=list rng.read=16 bench=all
run: deps all
	@test -e $(B)/disk.img || truncate -s 1M $(B)/disk.img
	$(B)/vmm --stats --disk $(B)/disk.img --rng --pci-testdev --append "$(ARGS)" $(B)/guest.elf
# The same actions and kinds of device as make run, under QEMU: modern-only
# virtio (the guest drives virtio 1.x devices), QEMU's own pci-testdev.
# QEMU_ARGS: more scripts/run-qemu options (e.g. --accel tcg --timeout 60).
QEMU_DEVICES := -drive if=none,id=d0,file=$(B)/disk.img,format=raw \
	-device virtio-blk-pci,drive=d0,disable-legacy=on \
	-device virtio-rng-pci,disable-legacy=on -device pci-testdev
run-qemu: deps all
	@test -e $(B)/disk.img || truncate -s 1M $(B)/disk.img
	scripts/run-qemu --append "$(ARGS)" $(QEMU_ARGS) $(B)/guest.elf -- $(QEMU_DEVICES)
test: deps
	@$(MAKE) --no-print-directory all
	CMOCKA_MESSAGE_OUTPUT=TAP prove $(PROVE_FLAGS) $(UNIT_TESTS) tests/*.t
# The same suite again where /dev/kvm does not exist (scripts/without-kvm:
# a mount namespace whose /dev has no kvm node), so the path of a machine
# without KVM is tested too: the skips, QEMU-TCG, the VMM's refusal.
test-nokvm: deps
	@$(MAKE) --no-print-directory all
	CMOCKA_MESSAGE_OUTPUT=TAP scripts/without-kvm prove $(PROVE_FLAGS) $(UNIT_TESTS) tests/*.t
# Saves build/bench/bench-DATE.{json,csv,png} and build/bench/latest.* too.
# With the rows of exits avoided and the sweep of queues and disks, whose
# targets make bench checks; BENCH_ARGS=--quick for a minute's run.
BENCH_ARGS ?= --avoided --sweep
bench: deps all
	scripts/bench --out $(B)/bench $(BENCH_ARGS)

clean:
	rm -rf $(B)

.PHONY: all deps run run-qemu test test-nokvm bench clean fuzz-smoke fuzz-chaos
.DELETE_ON_ERROR:
# Keep the objects of pattern-built programs (tools, unit tests): without
# this make deletes them as intermediates and relinks on the next run.
.SECONDARY:
-include $(shell find $(B) -name '*.d' 2>/dev/null)
