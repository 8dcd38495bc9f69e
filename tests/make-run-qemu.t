#!/usr/bin/env bash
# make-run-qemu.t - `make run-qemu` boots what `make run` boots, so the two
# can be compared as they are: the same guest actions ($(ARGS)) and the same
# kinds of device (a virtio-blk on build/disk.img, a virtio-rng, QEMU's
# pci-testdev). Read from `make -n`, then one TCG boot of `make run-qemu`
# whose pci=list must show each device; with KVM, every device `make run`
# lists (the host bridge aside) must be under QEMU too.
source "$(dirname "$0")/lib/tap.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
plan 8

append_of() { sed -nE 's/.*--append "([^"]*)".*/\1/p' <<<"$1" | tail -n 1; }
run_line=$(make -s -n run | grep -E '(^|/)build/vmm ')
qemu_line=$(make -s -n run-qemu | grep -E '(^|/)scripts/run-qemu ')
out="make run: $run_line"$'\n'"make run-qemu: $qemu_line"
check "make run-qemu gives the guest make run's actions" \
	eval '[ -n "$(append_of "$run_line")" ] && [ "$(append_of "$run_line")" = "$(append_of "$qemu_line")" ]'
check "make run-qemu: a modern virtio-blk on build/disk.img" \
	has 'run-qemu: .*file=build/disk\.img.* -device virtio-blk-pci,[^ ]*disable-legacy=on'
check "make run-qemu: a modern virtio-rng" has 'run-qemu: .*-device virtio-rng-pci,[^ ]*disable-legacy=on'
check "make run-qemu: QEMU's pci-testdev" has 'run-qemu: .*-device pci-testdev'

ACTS="pci=list virtio=list rng.read=16 testdev=run"
out=$(timeout 300 make -s run-qemu ARGS="$ACTS" QEMU_ARGS="--accel tcg --timeout $BOOT_TIMEOUT" 2>&1)
rc=$?
qemu_out=$out
check "make run-qemu (TCG) boots and exits 0" rc_is 0
check "... the guest finds virtio-blk 1af4:1042, virtio-rng 1af4:1044, pci-testdev 1b36:0005" \
	eval 'has "^pci [0-9a-f:.]+ 1af4:1042 " && has "^pci [0-9a-f:.]+ 1af4:1044 " && has "^pci [0-9a-f:.]+ 1b36:0005 "'
check "... and drives them: an rng line, the testdev tests" eval 'has "^rng [0-9a-f]{32}$" && has "^testdev mmio-no-eventfd: .* -> 8$" && lacks "^error"'

ids() { sed -nE 's/^pci [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] ([0-9a-f]{4}:[0-9a-f]{4}) class=(..)(..).*/\1 \2\3/p' <<<"$1" | grep -v ' 0600$' | cut -d' ' -f1 | sort -u; }
if kvm_usable; then
	out=$(timeout 300 make -s run ARGS="pci=list" 2>&1)
	vmm_ids=$(ids "$out") qemu_ids=$(ids "$qemu_out")
	out="VMM: $vmm_ids"$'\n'"QEMU: $qemu_ids"
	check "every device make run lists (host bridge aside) is under make run-qemu too" \
		eval '[ -n "$vmm_ids" ] && [ -z "$(comm -23 <(echo "$vmm_ids") <(echo "$qemu_ids"))" ]'
else
	skip "/dev/kvm is missing or not usable: make run cannot boot, so no side-by-side list"
fi
