#!/usr/bin/env bash
# virtio-qemu.t - the guest's virtio driver against QEMU's own
# virtio-blk-pci and virtio-rng-pci (modern only: disable-legacy=on; and
# QEMU's default transitional ones, and a legacy-only one refused): reads
# of a marker, writes that reach the disk file, errors, random bytes, with
# polling and with MSI-X. TCG always; KVM (MSI-X) when /dev/kvm is usable.
source "$(dirname "$0")/lib/tap.sh"
source "$(dirname "$0")/lib/virtio_checks.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed"
command -v xxd >/dev/null || skip_all "xxd is not installed (apt-get install xxd)"
plan $((3 * 9 + 11))

ACCEL=tcg
boot_disk() {
	local disk=$1
	shift
	boot_qemu "$ACCEL" --append "$*" -- \
		-drive "if=none,id=d0,file=$disk,format=raw" -device virtio-blk-pci,drive=d0,disable-legacy=on \
		-device virtio-rng-pci,disable-legacy=on
}

virtio_checks TCG poll
virtio_checks TCG msix

truncate -s 64K "$TMP/none.img"
boot_disk "$TMP/none.img" "virtio=list bench.samples=3 bench=blk_burst_poll"
check "TCG: virtio=list shows both devices with their notify addresses" \
	eval 'has "^virtio [0-9a-f:.]+ virtio-blk features=0x1[0-9a-f]{8} queue=0 size=[0-9]+ notify=0x[0-9a-f]+ \(multiplier 4\)" && has "^virtio [0-9a-f:.]+ virtio-rng "'
npo=$(sed -nE 's/^bench blk_burst_poll iters=[0-9]+ .* notifies_per_op=([0-9.]+) interrupts_per_op=0\.000 .* samples=3$/\1/p' <<<"$out")
check "TCG: blk_burst_poll (8 reads, each kicked) prints its line, each burst notified at least once, each kick at most once ($npo a request)" \
	python3 -c "import sys; sys.exit(not 0.125 <= float(sys.argv[1]) <= 1)" "${npo:-9}"

# A read-only drive: QEMU offers VIRTIO_BLK_F_RO; the guest refuses a
# write before sending it, and one sent anyway (blk.check=0) QEMU fails.
printf 'keep-me' | dd of="$TMP/ro.img" bs=512 seek=3 conv=notrunc status=none
truncate -s 64K "$TMP/ro.img"
boot_qemu tcg --append "blk.write=3:nope" -- -drive "if=none,id=d0,file=$TMP/ro.img,format=raw,readonly=on" \
	-device virtio-blk-pci,drive=d0,disable-legacy=on
check "TCG readonly=on: the guest refuses a write before sending it (VIRTIO_BLK_F_RO), exit 1" \
	eval 'rc_is 1 && has "^error: blk.write: the disk is read-only \(VIRTIO_BLK_F_RO\): nothing sent$"'
boot_qemu tcg --append "blk.check=0 blk.write=3:nope" -- -drive "if=none,id=d0,file=$TMP/ro.img,format=raw,readonly=on" \
	-device virtio-blk-pci,drive=d0,disable-legacy=on
check "... sent anyway, QEMU fails it (VIRTIO_BLK_S_IOERR) and sector 3 keeps its text" \
	eval 'rc_is 1 && has "device status VIRTIO_BLK_S_IOERR" && [ "$(dd if="$TMP/ro.img" bs=512 skip=3 count=1 status=none | tr -d "\0")" = keep-me ]'

# The notify address term by term, for a queue whose queue_notify_off is
# not 0: QEMU's virtio-blk with four queues (notify in BAR4).
boot_qemu tcg --append "virtio=list" -- -drive "if=none,id=d1,file=$TMP/none.img,format=raw" \
	-device virtio-blk-pci,drive=d1,disable-legacy=on,num-queues=4
sums=$(sed -nE 's/^virtio .* queue ([0-9]+) notify: BAR4 (0x[0-9a-f]+) \+ cap.offset (0x[0-9a-f]+) \+ queue_notify_off ([0-9]+) \* multiplier ([0-9]+) = (0x[0-9a-f]+)$/\1 \2 \3 \4 \5 \6/p' <<<"$out" |
	while read -r q bar off qoff mult addr; do [ $((bar + off + qoff * mult)) = $((addr)) ] && [ "$qoff" = "$q" ] && echo ok; done | grep -c ok)
check "TCG, 4 queues: virtio=list gives each queue's notify address as BAR4 + cap.offset + queue_notify_off * multiplier, and the sum holds ($sums of 4)" \
	eval '[ "$sums" = 4 ]'
q0=$(sed -nE 's/^virtio .* queue 0 notify: .* = (0x[0-9a-f]+)$/\1/p' <<<"$out")
check "... queue 0's is the address the driver notifies (notify=$q0)" has "^virtio .* virtio-blk features=.* notify=$q0 "
check "... the negotiated features are named" has "^virtio [0-9a-f:.]+ virtio-blk negotiated: VIRTIO_BLK_F_FLUSH VIRTIO_BLK_F_MQ VIRTIO_RING_F_EVENT_IDX VIRTIO_F_VERSION_1$"

boot_qemu tcg --append "blk.read=0" -- -device virtio-rng-pci,disable-legacy=on
check "TCG: no virtio-blk: said so, status 1" eval 'rc_is 1 && has "^error: no virtio-blk device found"'

# QEMU's defaults: transitional devices (0x1001, 0x1005) that also carry
# the modern capabilities, driven through them; a legacy-only one refused.
marker="transitional-$RANDOM$RANDOM"
truncate -s 64K "$TMP/trans.img"
printf '%s' "$marker" | dd of="$TMP/trans.img" bs=512 seek=3 conv=notrunc status=none
boot_qemu tcg --append "virtio=list blk.read=3 rng.read=8" -- \
	-drive "if=none,id=d0,file=$TMP/trans.img,format=raw" -device virtio-blk-pci,drive=d0 -device virtio-rng-pci
check "TCG, QEMU's default (transitional) devices: both driven, status 0" \
	eval 'rc_is 0 && has "^virtio [0-9a-f:.]+ virtio-blk features=0x1" && has "^virtio [0-9a-f:.]+ virtio-rng features=0x1"'
check "... and the sector read is the file's ($marker)" \
	cmp -s <(sector_from_output 3) <(dd if="$TMP/trans.img" bs=512 skip=3 count=1 status=none)
boot_qemu tcg --append "virtio=list" -- -device virtio-rng-pci,disable-modern=on
check "TCG: a legacy-only device is named as such and not driven (status 1)" \
	eval 'rc_is 1 && has "virtio-rng: .* \(1005\) is a legacy-only virtio device"'

if kvm_usable; then
	ACCEL=kvm
	virtio_checks KVM msix
else
	for i in $(seq 9); do skip "/dev/kvm is missing or not usable: QEMU-KVM virtio checks not run"; done
fi
