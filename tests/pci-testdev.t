#!/usr/bin/env bash
# pci-testdev.t - the VMM's --pci-testdev end to end, with real KVM
# ioeventfds, driven by the guest's testdev=run (8 writes of each test's
# data at its offset, then the header's count). What each count must be
# follows from QEMU docs/specs/pci-testdev.rst and vmm/pci_testdev.h: the
# device counts the writes that reach it; an eventfd test's writes are
# taken by a KVM ioeventfd instead, so its count stays 0 - unless the VMM
# runs with --no-ioeventfd. --stats must show where every write went, and
# QEMU's -device pci-testdev must give the guest the same counts.
source "$(dirname "$0")/lib/tap.sh"
plan 8

# counts: "NAME=COUNT ..." from the guest's testdev lines, in test order.
counts() { sed -nE 's/^testdev ([a-z-]+): BAR[01] test [0-2]: 8 writes of .* count 0 -> ([0-9]+)$/\1=\2/p' <<<"$out" | xargs; }
# stats_are NAME=COUNTED/SIGNALS...: the VMM's --stats line for each test.
stats_are() {
	local t got
	for t in "$@"; do
		got=$(sed -nE "s/^stats: pci-testdev 00:01\.0 ${t%%=*} +writes: ([0-9]+) counted in the VMM, ([0-9]+) ioeventfd signals$/\1\/\2/p" <<<"$out")
		[ "$got" = "${t#*=}" ] || { diag "${t%%=*}: counted/signals '$got', expected '${t#*=}'"; return 1; }
	done
}
bar_writes() { sed -nE "s/^stats: +(mmio|pio) +0x[0-9a-f]+\+0x[0-9a-f]+ +00:01\.0 pci-testdev BAR$1 +reads +[0-9]+ writes +([0-9]+)$/\2/p" <<<"$out"; }

with_fd="mmio-no-eventfd=8 mmio-wildcard-eventfd=0 mmio-datamatch-eventfd=0 portio-no-eventfd=8 portio-wildcard-eventfd=0 portio-datamatch-eventfd=0"
if kvm_usable; then
	boot_vmm --stats --pci-testdev --append "testdev=run" "$GUEST"
	check "VMM: testdev=run exits 0" rc_is 0
	check "VMM: no-eventfd tests count their 8 writes, eventfd tests 0 (KVM took them)" \
		test "$(counts)" = "$with_fd"
	check "VMM --stats: 8 userspace writes or 8 ioeventfd signals per test" \
		stats_are mmio-no-eventfd=8/0 mmio-wildcard-eventfd=0/8 mmio-datamatch-eventfd=0/8 \
		portio-no-eventfd=8/0 portio-wildcard-eventfd=0/8 portio-datamatch-eventfd=0/8
	mem_fd=$(bar_writes 0) io_fd=$(bar_writes 1)

	boot_vmm --stats --no-ioeventfd --pci-testdev --append "testdev=run" "$GUEST"
	check "VMM --no-ioeventfd: every test counts its 8 writes" \
		eval 'rc_is 0 && test "$(counts)" = "${with_fd//=0/=8}"'
	check "VMM --no-ioeventfd --stats: no ioeventfd signals" \
		stats_are mmio-no-eventfd=8/0 mmio-wildcard-eventfd=8/0 mmio-datamatch-eventfd=8/0 \
		portio-no-eventfd=8/0 portio-wildcard-eventfd=8/0 portio-datamatch-eventfd=8/0
	check "the ioeventfds saved exactly the 2 x 8 eventfd-test writes per BAR from exiting" \
		eval 'test -n "$mem_fd" && test $(( $(bar_writes 0) - mem_fd )) = 16 && test $(( $(bar_writes 1) - io_fd )) = 16'
else
	for i in 1 2 3 4 5 6; do skip "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"; done
fi

if command -v qemu-system-x86_64 >/dev/null; then
	accel=tcg
	kvm_usable && accel=kvm
	boot_qemu "$accel" --append "testdev=run" -- -device pci-testdev
	check "QEMU ($accel) -device pci-testdev: testdev=run exits 0" rc_is 0
	check "QEMU: the same counts as the VMM with ioeventfds" test "$(counts)" = "$with_fd"
else
	skip "qemu-system-x86_64 is not installed"
	skip "qemu-system-x86_64 is not installed"
fi
