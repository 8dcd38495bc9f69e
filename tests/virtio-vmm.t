#!/usr/bin/env bash
# virtio-vmm.t - the exitlab VMM's virtio-blk and virtio-rng, driven by the
# same guest and the same checks as QEMU's devices (tests/virtio-qemu.t):
# polling and MSI-X, with ioeventfd notifies and with --no-ioeventfd. The
# disk file is checked with host tools after the VMM exits; --stats must
# show the notifies and interrupts the guest caused.
source "$(dirname "$0")/lib/tap.sh"
source "$(dirname "$0")/lib/virtio_checks.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"
command -v xxd >/dev/null || skip_all "xxd is not installed (apt-get install xxd)"
plan $((4 * 9 + 15))

VMM_EXTRA=()
boot_disk() {
	local disk=$1
	shift
	boot_vmm --stats "${VMM_EXTRA[@]}" --disk "$disk" --rng --append "$*" "$GUEST"
}

virtio_checks VMM poll
virtio_checks VMM msix
VMM_EXTRA=(--no-ioeventfd)
virtio_checks "VMM --no-ioeventfd" poll
virtio_checks "VMM --no-ioeventfd" msix

disk="$TMP/stats.img"
truncate -s 64K "$disk"
bar_writes() { sed -nE 's/^stats: +mmio .* virtio-blk BAR0 +reads +[0-9]+ writes +([0-9]+)$/\1/p' <<<"$out"; }
VMM_EXTRA=()
boot_disk "$disk" irq=msix blk.read=1 blk.read=2 rng.read=4
check "--stats: 2 notifies through the ioeventfd, 2 requests, 2 interrupts" \
	has '^stats: virtio-blk at 00:01\.0: notifies 2 \(ioeventfd\), requests 2, interrupts 2 sent'
check "--stats: virtio-rng, 1 notify, 1 request, 1 interrupt" \
	has '^stats: virtio-rng at 00:02\.0: notifies 1 \(ioeventfd\), requests 1, interrupts 1 sent'
w_ioeventfd=$(bar_writes)
VMM_EXTRA=(--no-ioeventfd)
boot_disk "$disk" irq=msix blk.read=1 blk.read=2 rng.read=4
check "--stats with --no-ioeventfd: the notifies are MMIO exits" \
	has '^stats: virtio-blk at 00:01\.0: notifies 2 \(MMIO exits\), requests 2, interrupts 2 sent'
check "ioeventfd notifies never reach userspace: BAR0 MMIO writes differ by exactly the 2 notifies ($w_ioeventfd vs $(bar_writes))" \
	test -n "$w_ioeventfd" -a "$(( $(bar_writes) - w_ioeventfd ))" = 2

VMM_EXTRA=()
boot_vmm --disk "$TMP/missing.img" "$GUEST"
check "a missing disk file is refused before boot, saying what to do" \
	eval 'rc_is 125 && has "--disk .*missing.img: No such file or directory \(create it first"'
chmod 444 "$disk"
boot_vmm --disk "$disk,ro" --append "blk.check=0 blk.write=1:nope" "$GUEST"
check "a read-only disk: a write sent anyway (blk.check=0) fails with VIRTIO_BLK_S_IOERR" \
	eval 'rc_is 1 && has "device status VIRTIO_BLK_S_IOERR"'
boot_vmm --stats --disk "$disk,ro" --append "blk.write=1:nope" "$GUEST"
check "... and by default the guest refuses it before sending (VIRTIO_BLK_F_RO): no request" \
	eval 'rc_is 1 && has "^error: blk.write: the disk is read-only \(VIRTIO_BLK_F_RO\): nothing sent$" && has "requests 0,"'
chmod 644 "$disk"
boot_vmm --disk "$disk" --append "blk.check=0 blk.read=128" "$GUEST"
check "the capacity is the file size: sector 128 of a 64 KiB disk, sent anyway, is past the end" \
	eval 'rc_is 1 && has "VIRTIO_BLK_S_IOERR"'
boot_vmm --disk "$disk" --append "blk.read=128" "$GUEST"
check "... and the guest refuses it first, saying why" \
	eval 'rc_is 1 && has "^error: blk.read: sector 128 is past the end \(128 sectors\): nothing sent$"'
boot_vmm --disk "$disk" --append "blk.read=127" "$GUEST"
check "...and sector 127 is the last one" rc_is 0
boot_vmm --rng --append "blk.read=0" "$GUEST"
check "no --disk: the guest says there is no virtio-blk" eval 'rc_is 1 && has "^error: no virtio-blk device found"'
boot_vmm --disk "$disk" --append "virtio=list" "$GUEST"
check "virtio=list under the VMM: notify address with multiplier 4" \
	has '^virtio 00:01\.0 virtio-blk features=0x120000200 queue=0 size=[0-9]+ notify=0x[0-9a-f]+ \(multiplier 4\)'
boot_vmm --disk "$disk" --rng \
	--append "virtio=list irq=msix virtio=list irq=poll virtio=list irq=msix virtio=list rng.read=4 blk.read=0" "$GUEST"
check "restarting the devices (irq= back and forth) keeps their rings: all still work" \
	eval 'rc_is 0 && [ "$(grep -c "^virtio 00:0[12]\.0 .* features=" <<<"$out")" = 8 ] && has "^rng [0-9a-f]{8}$" && has "^blk 0: 000: "'
boot_vmm --timeout 1 --disk "$disk" --rng --append "bench=all bench=all bench=all" "$GUEST"
check "--timeout still stops the vCPU while the I/O thread runs (the signal is not taken by it)" \
	eval 'rc_is 124 && has "^vmm: timed out after 1 s"'
# The VMM's tables hold what its options allow: 8 disks of 64 queues each
# (an ioeventfd a queue, an MSI-X vector a queue and one for config) and a
# virtio-rng next to them. The guest drives the first disk's 64 queues.
disks=()
for i in $(seq 8); do truncate -s 64K "$TMP/mq$i.img"; disks+=(--disk "$TMP/mq$i.img,queues=64"); done
boot_vmm "${disks[@]}" --rng --append "blk.queues=64 irq=msix blk.mq=mq rng.read=4" "$GUEST"
check "8 disks of 64 queues and an rng: every ioeventfd and MSI route set up, all 64 queues and the rng work" \
	eval 'rc_is 0 && has "^blk: mq: 64 queues \(device has 64\)" && has "^rng [0-9a-f]{8}$" && lacks "^vmm: no "'
