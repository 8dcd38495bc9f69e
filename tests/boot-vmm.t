#!/usr/bin/env bash
# boot-vmm.t - boot build/guest.elf under the exitlab VMM (KVM) and check
# what the guest and the VMM report: banner, memory map, exit statuses,
# command-line errors, deliberate faults, --stats, --timeout.
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"
plan 46

boot_vmm --mem 32M "$GUEST"
check "plain boot exits 0" rc_is 0
check "banner names the guest" has '^exitlab guest [0-9.]+, PVH entry, hvm_start_info v1'
check "guest found the exitlab boot module" has '^vmm: exitlab [0-9.]+ \(found the exitlab boot module\)'
check "guest uses the buffered console" has '^console: exitlab buffered console'
check "memmap: low RAM below the hole" has '^memmap: 0 base=0x0 end=0xa0000 size=0xa0000 ram$'
check "memmap: RAM from 1 MiB to the end of --mem 32M" has '^memmap: 2 base=0x100000 end=0x2000000 size=0x1f00000 ram$'
check "memmap: RAM adds up to 32 MiB minus the 384 KiB hole" test "$(guest_ram_bytes)" = $((32 * 1024 * 1024 - 384 * 1024))
check "TSC frequency comes from KVM via boot info" has '^tsc: [1-9][0-9]+ kHz, from exitlab boot info'
check "final status line" has '^exitlab: exit status 0$'

boot_vmm --mem 100M "$GUEST"
check "memmap follows --mem 100M" test "$(guest_ram_bytes)" = $((100 * 1024 * 1024 - 384 * 1024))

boot_vmm --append "exit=7" "$GUEST"
check "exit=7 exits 7" rc_is 7
check "exit=7 prints its status" has '^exitlab: exit status 7$'
boot_vmm --append "exit=0x10" "$GUEST"
check "exit=0x10 exits 16" rc_is 16

boot_vmm --append "exit=3 exit=9" "$GUEST"
check "actions run in order: the first exit wins" rc_is 3

boot_vmm --append "bogus=1 exit=0" "$GUEST"
check "unknown action exits 2" rc_is 2
check "unknown action is named" has "^error: unknown action 'bogus=1'"
boot_vmm --append "exit=5 exit=banana" "$GUEST"
check "malformed value is refused before anything runs (exit 2, not 5)" rc_is 2
check "malformed value is named" has "^error: exit: 'banana' is not a status"

boot_vmm --append "fault=ud" "$GUEST"
check "fault=ud: failure status 3" rc_is 3
check "fault=ud: report names #UD with rip" has '^exception: vector 6 \(#UD invalid opcode\) error 0x0 rip 0x[0-9a-f]+'
check "fault=ud: the guest's C code runs at CPL 3" has '^exception: vector 6 .* cpl 3$'
boot_vmm --append "fault=bp" "$GUEST"
check "fault=bp: a stray INT3 is reported as #BP, not taken for a ring0_call" \
	eval 'rc_is 3 && has "^exception: vector 3 \(#BP breakpoint\) .* cpl 3$"'
boot_vmm --append "fault=pf" "$GUEST"
check "fault=pf: failure status 3" rc_is 3
check "fault=pf: report names #PF and cr2" has '^exception: page fault address \(cr2\) 0x10000000000$'

boot_vmm --append "fault=triple" "$GUEST"
check "a triple fault ends the VM with 126 and says where" \
	eval 'rc_is 126 && has "^vmm: .*(triple fault|internal error).* at rip 0x[0-9a-f]+"'
check "... with nothing left unflushed (the guest flushed its last line), no rescue" \
	eval 'has "^fault: triple-faulting" && lacks "had not flushed"'
# A guest that dies before it flushes its held boot report (as the test
# hook stops it at its first exit, the flush itself): the VMM prints the
# report from the guest's console buffer (boot info's console_buf_paddr).
boot_vmm --test-hook die-at-first-exit --append "exit=0" "$GUEST"
check "a guest gone before its first flush: the VMM prints the held boot report, then why the VM ended (126)" \
	eval 'rc_is 126 && has "^vmm: the guest ended with [0-9]+ bytes it had not flushed in its console buffer; they follow$" &&
	      has "^exitlab guest [0-9.]+, PVH entry" && has "^cmdline: \"exit=0\"$" && lacks "^exitlab: exit status" &&
	      has "^vmm: test hook: the guest.s first exit to the VMM ends the VM"'
boot_vmm --append "fault=hlt" "$GUEST"
check "HLT without the exit port: 126 with the reason" \
	eval 'rc_is 126 && has "^vmm: guest halted without writing its status .* at rip 0x"'

boot_vmm --stats --append "bench=pio_write bench.samples=3" "$GUEST"
check "--stats counts the UART scratch writes of the benchmark" \
	eval 'rc_is 0 && has "^stats: +pio +0x000003f8\+0x8 +COM1 16550 UART +reads +[0-9]+ writes +[0-9]{4,}"'

check "--stats reports the VMM's peak RSS" has '^stats: vmm peak RSS [1-9][0-9]+ KiB \(while the guest ran\)$'

boot_vmm --timeout 1 --append "bench=all bench.samples=255 bench=all bench=all" "$GUEST"
check "--timeout stops a long run with 124" eval 'rc_is 124 && has "^vmm: timed out after 1 s"'

boot_vmm --append "bench.samples=5 bench=cpuid,pio_read,ring0" "$GUEST"
check "bench lines carry name, iterations, cycles and ns" \
	eval 'rc_is 0 && has "^bench cpuid iters=2560 cycles=[0-9]+ ns=[0-9]+\.[0-9] p10_ns=" && has "^bench pio_read iters=2560 "'
check "bench ring0: ring0_call goes to CPL 0 and back, 2560 times" has '^bench ring0 iters=2560 cycles=[1-9][0-9]* ns='

boot_vmm --append "bench.samples=20 bench.single=1 bench.raw=1 bench=pio_read" "$GUEST"
check "bench.single=1: one operation a sample, the seven percentiles in cycles and ns" \
	eval 'rc_is 0 && has "^bench pio_read iters=20 cycles=[1-9][0-9]* ns=[0-9.]+ p10_ns=[0-9.]+ p90_ns=[0-9.]+ min_ns=[0-9.]+ p1_ns=[0-9.]+ p99_ns=[0-9.]+ max_ns=[0-9.]+ p10_cycles=[0-9]+ p90_cycles=[0-9]+ min_cycles=[0-9]+ p1_cycles=[0-9]+ p99_cycles=[0-9]+ max_cycles=[0-9]+ batch=1 samples=20$"'
raw=$(grep -E "^bench-raw pio_read batch=1 from=(0|16) " <<<"$out" | sed 's/.* //' | tr , '\n' | grep -cE '^[1-9][0-9]*$')
check "bench.raw=1: all 20 samples follow, 16 to a line (got $raw)" eval '[ "$raw" = 20 ] && has "^bench-raw pio_read batch=1 from=16 [0-9]+(,[0-9]+){3}$"'
boot_vmm --stats --append "bench.samples=3 bench=msr_user,msr_user_write,msr_kernel" "$GUEST"
check "bench msr_user: 2048 RDMSRs of the scratch MSR reach the VMM's userspace, counted in --stats" \
	eval 'rc_is 0 && has "^stats: msr 0x400000f0 \(exitlab scratch, in userspace\) reads 2048 writes 2048$" && has "^stats:   reason KVM_EXIT_X86_RDMSR +2048$"'
check "... the MSR tests say ring0_call's cost was subtracted" \
	eval 'has "^bench msr_user iters=1536 cycles=[1-9][0-9]* .* minus_ring0_cycles=[1-9][0-9]* batch=512 samples=3$" && has "^bench msr_kernel iters=1536 .* minus_ring0_cycles="'
disk0=$TMP/timer.img
truncate -s 1M "$disk0"
boot_vmm --disk "$disk0" --append "bench.samples=5 bench=timer_wake" "$GUEST"
check "bench timer_wake: TSC-deadline to handler out of HLT, 5 samples of 16 (in-kernel APIC, with a disk)" \
	eval 'rc_is 0 && has "^bench timer_wake iters=80 cycles=[1-9][0-9]* ns=[1-9][0-9.]* .* batch=16 samples=5$"'
boot_vmm --append "bench.samples=5 bench=timer_wake" "$GUEST"
check "... without an in-kernel APIC it is skipped, saying why" has "^bench timer_wake skipped: no local APIC answers at 0xfee00000 "
boot_vmm --mem 8 --append "bench.samples=3 bench=fault_touch bench=fault_touch bench=fault_touch bench=fault_touch bench=fault_touch bench=fault_touch bench=fault_touch" "$GUEST"
n=$(grep -cE "^bench fault_touch iters=192 cycles=[0-9]+ ns=[0-9.]+ " <<<"$out")
ns=$(sed -nE 's/^bench fault_touch iters=192 cycles=[0-9]+ ns=([0-9]+).*/\1/p' <<<"$out" | sort -n | head -1)
check "bench fault_touch: a fresh page's first write costs a fault (the fastest run's median $ns ns > 200), six runs fit in 8 MiB" \
	eval '[ "$n" = 6 ] && [ "${ns:-0}" -gt 200 ]'
check "... the seventh finds the fresh pages used up and says so, the guest going on" \
	eval 'rc_is 0 && has "^bench fault_touch skipped: 0 fresh pages left, 256 needed \(one run per boot\)$"'
boot_vmm --append "bench.single=2 bench=cpuid" "$GUEST"
check "bench.single=2 is refused before anything runs (exit 2)" eval 'rc_is 2 && lacks "^bench cpuid iters"'

# In-kernel exits: the 8259 and the local APIC exist only with an in-kernel
# irqchip, which the VMM makes for virtio devices (--rng here).
boot_vmm --stats --rng --append "bench.samples=5 bench=pio_kernel,mmio_kernel" "$GUEST"
check "bench pio_kernel and mmio_kernel run with an in-kernel irqchip" \
	eval 'rc_is 0 && has "^bench pio_kernel iters=2560 cycles=[1-9]" && has "^bench mmio_kernel iters=2560 cycles=[1-9]"'
check "... and KVM served them: no PIC or APIC access reached the VMM" \
	lacks 'unclaimed .*(port 0x21|0xfee00030)|^stats: +(pio +0x000000[2a]1|mmio +0xfee00)'
boot_vmm --append "bench.samples=5 bench=pio_kernel,mmio_kernel" "$GUEST"
check "without an irqchip they are skipped, saying why" \
	eval 'rc_is 0 && has "^bench pio_kernel skipped: no 8259 PIC answers" && has "^bench mmio_kernel skipped: no local APIC answers at 0xfee00000 "'

# Start-up: the guest asks CPUID only where it needs to. Each CPUID is an
# exit (25-35 µs on this PVM host); with the TSC frequency in the boot info
# tsc_init asks none, and the banner's hypervisor check asks two (leaf 1,
# leaf 0x40000000). Counted by the kernel's kvm:kvm_cpuid tracepoint.
if command -v perf >/dev/null && perf list --no-desc tracepoint 2>/dev/null | grep -q "kvm:kvm_cpuid"; then
	n=$(perf stat -x, -e kvm:kvm_cpuid -- "$VMM" --append exit=0 "$GUEST" 2>&1 >/dev/null | awk -F, '$3 == "kvm:kvm_cpuid" { print $1 }')
	check "an exit=0 boot makes 2 CPUID exits, the banner's (counted $n by kvm:kvm_cpuid)" test "$n" = 2
else
	skip "CPUID exits at boot: no perf or no kvm:kvm_cpuid tracepoint (root and linux-perf needed)"
fi
