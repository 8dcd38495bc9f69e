#!/usr/bin/env bash
# attack-vmm.t - a hostile guest against the exitlab VMM's virtio-blk: each
# guest attack=NAME breaks one rule of the split virtqueue (virtio §2.7).
# The VMM must set DEVICE_NEEDS_RESET, say what was wrong once, keep
# running, and serve the device again after a reset. With ioeventfds (the
# I/O thread sees the ring) and with --no-ioeventfd (the vCPU thread does).
# The VMM here is build/vmm-asan: any out-of-bounds access or undefined
# behaviour aborts it, and fails the test.
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"
VMM=$ROOT/build/vmm-asan
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
attacks=(loop long-chain oob-addr len-overflow avail-jump bad-size huge-size notify-disabled)
plan $((2 * 4 * ${#attacks[@]} + 1))

disk="$TMP/disk.img"
truncate -s 1M "$disk"
sum_before=$(md5sum <"$disk")
for mode in ioeventfd no-ioeventfd; do
	extra=()
	[ $mode = no-ioeventfd ] && extra=(--no-ioeventfd)
	for a in "${attacks[@]}"; do
		boot_vmm "${extra[@]}" --disk "$disk" --append "attack=$a" "$GUEST"
		check "$mode $a: the guest saw DEVICE_NEEDS_RESET and exited 0" \
			eval 'rc_is 0 && has "^attack $a: device status 0x[0-9a-f]+: DEVICE_NEEDS_RESET$"'
		check "$mode $a: the VMM reported the guest error exactly once" \
			test "$(grep -c '^vmm: virtio-blk queue 0: guest error: ' <<<"$out")" = 1
		check "$mode $a: after a reset the device works (the VMM is alive)" \
			has "^attack $a: after a reset, a read works$"
		check "$mode $a: no crash, no sanitizer report" lacks 'Segmentation|Aborted|core dumped|runtime error'
	done
done
check "no attack wrote to the disk file" test "$(md5sum <"$disk")" = "$sum_before"
