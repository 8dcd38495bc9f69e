#!/usr/bin/env bash
# boot-qemu.t - boot the same build/guest.elf under QEMU (q35) through
# scripts/run-qemu: TCG always, KVM when /dev/kvm is usable. Checks the
# banner, the memory map QEMU's PVH loader passes, the exit-status mapping
# ((status << 1) | 1 back to status), command-line errors and faults.
source "$(dirname "$0")/lib/tap.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
plan 25

boot_qemu tcg --mem 128M
check "TCG: plain boot exits 0" rc_is 0
check "TCG: banner" has '^exitlab guest [0-9.]+, PVH entry, hvm_start_info v1'
check "TCG: guest recognises QEMU by fw_cfg" has '^vmm: QEMU \(fw_cfg signature at port 0x510\)'
check "TCG: console falls back to the UART" has '^console: COM1 16550 UART'
check "TCG: memmap has RAM from 1 MiB" has '^memmap: [0-9]+ base=0x100000 end=0x[0-9a-f]+ size=0x[0-9a-f]+ ram$'
ram=$(guest_ram_bytes)
check "TCG: memmap RAM is within 1 MiB of -m 128M ($ram bytes)" \
	test "$ram" -le $((128 << 20)) -a "$ram" -ge $((127 << 20))
check "TCG: TSC frequency found" has '^tsc: [1-9][0-9]+ kHz, from '

boot_qemu tcg --append "exit=7"
check "TCG: exit=7 maps back to 7" eval 'rc_is 7 && has "^exitlab: exit status 7$"'
boot_qemu tcg --append "exit=0x2a"
check "TCG: exit=0x2a maps back to 42" rc_is 42
boot_qemu tcg --append "frobnicate"
check "TCG: unknown action exits 2 and is named" eval "rc_is 2 && has \"^error: unknown action 'frobnicate'\""
boot_qemu tcg --append "fault=ud"
check "TCG: fault=ud exits 3" rc_is 3
check "TCG: fault=ud report" has '^exception: vector 6 \(#UD invalid opcode\) error 0x0 rip 0x[0-9a-f]+'
check "TCG: the guest's C code runs at CPL 3" has '^exception: vector 6 .* cpl 3$'
boot_qemu tcg --append "fault=pf"
check "TCG: fault=pf exits 3 with cr2" eval 'rc_is 3 && has "^exception: page fault address \(cr2\) 0x10000000000$"'
boot_qemu tcg --append "fault=triple"
check "TCG: a triple fault is reported as 126 (no exit port)" rc_is 126
boot_qemu tcg --append "bench.samples=5 bench=cpuid,pio_write,ring0,pio_kernel,mmio_kernel"
check "TCG: bench lines" eval 'rc_is 0 && has "^bench cpuid iters=[0-9]+ cycles=[0-9]+ ns=" && has "^bench pio_write iters="'
check "TCG: ring0_call works (INT3 gate, IRETQ back to CPL 3)" has '^bench ring0 iters=2560 cycles=[1-9][0-9]* ns='
check "TCG: QEMU's 8259 and local APIC answer the in-kernel tests" \
	eval 'has "^bench pio_kernel iters=2560 " && has "^bench mmio_kernel iters=2560 "'

# The image before --: after it, it would be a QEMU argument and the
# missing IMAGE alone would give 125.
out=$("$ROOT/scripts/run-qemu" --accel tcg --timeout "$BOOT_TIMEOUT" "$GUEST" -- -no-such-qemu-option 2>&1); rc=$?
check "QEMU's own failure is 125, not the guest's status 0" eval 'rc_is 125 && has "no-such-qemu-option"'

if kvm_usable; then
	boot_qemu kvm
	check "KVM: plain boot exits 0" rc_is 0
	check "KVM: CPUID says KVM" has '^cpu: hypervisor bit set, signature "KVMKVMKVM" \(KVM\)'
	# Which source the guest gets depends on the host: QEMU adds the
	# 0x40000010 leaf only when it trusts the TSC, and some hosts (PVM on
	# Linux 6.18 here) end with leaf 0x40000001, so the guest calibrates.
	# Either way the figure must be KVM's own (KVM_GET_TSC_KHZ, which the
	# exitlab VMM hands over in its boot info) within 2 % (a 10 ms PIT calibration on this host reads up to 0.8 % high).
	qemu_khz=$(sed -n 's/^tsc: \([0-9]*\) kHz, from \(CPUID 0x40000010\|calibrated\).*/\1/p' <<<"$out")
	kvm_khz=$("$ROOT/build/vmm" --append exit=0 "$GUEST" 2>/dev/null | sed -n 's/^tsc: \([0-9]*\) kHz, from exitlab boot info.*/\1/p')
	check "KVM: TSC frequency from CPUID 0x40000010 or calibration is KVM's within 2 % (${qemu_khz:-none} vs ${kvm_khz:-none} kHz)" \
		eval '[ -n "$qemu_khz" ] && [ -n "$kvm_khz" ] && [ $(( (qemu_khz > kvm_khz ? qemu_khz - kvm_khz : kvm_khz - qemu_khz) * 50 )) -le "$kvm_khz" ]'
	boot_qemu kvm --append "exit=9"
	check "KVM: exit=9 maps back to 9" rc_is 9
else
	for i in 1 2 3 4; do skip "/dev/kvm is missing or not usable: QEMU-KVM boots not run"; done
fi

boot_qemu tcg --append "bench.samples=3 bench=msr_kernel,msr_user"
check "TCG: msr_kernel runs through ring0_call; msr_user is skipped, naming why (QEMU serves no scratch MSR)" \
	eval 'rc_is 0 && has "^bench msr_kernel iters=1536 .* minus_ring0_cycles=" && has "^bench msr_user skipped: no userspace MSR advertised"'

boot_qemu tcg --append "bench.samples=3 bench=timer_wake"
check "TCG: timer_wake runs, or is skipped because TCG's CPU has no TSC-deadline timer, and the guest exits 0 (no hang)" \
	eval 'rc_is 0 && { has "^bench timer_wake iters=48 cycles=[1-9]" || has "^bench timer_wake skipped: no TSC-deadline timer"; }'
