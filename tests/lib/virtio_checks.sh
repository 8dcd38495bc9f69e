# virtio_checks.sh - the virtio-blk/virtio-rng checks, shared by the QEMU and
# exitlab-VMM tests (sourced after tap.sh). The caller defines
#   boot_disk DISK ACTIONS...   boot the guest with DISK as its virtio-blk
#                               and a virtio-rng, guest actions as given,
#                               leaving $rc and $out as boot_vmm does;
# and then calls virtio_checks LABEL IRQ for each completion mode. Each
# call makes 9 checks. Every disk is fresh and every marker random, so
# nothing can pass by accident.

# The 512 bytes the guest printed for SECTOR, as raw bytes on stdout.
sector_from_output() {
	sed -nE "s/^blk $1: [0-9a-f]{3}: (([0-9a-f]{2} ){16}) .*/\1/p" <<<"$out" | xxd -r -p
}

virtio_checks() {
	local label=$1 irq=$2 disk="$TMP/disk-$1-$2.img" marker text
	marker="exitlab-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
	truncate -s 1M "$disk"
	printf '%s' "$marker" | dd of="$disk" bs=512 seek=7 conv=notrunc status=none

	boot_disk "$disk" "irq=$irq" "blk.read=7"
	check "$label irq=$irq: blk.read exits 0" rc_is 0
	check "$label irq=$irq: the sector printed is the file's sector 7 (marker $marker)" \
		cmp -s <(sector_from_output 7) <(dd if="$disk" bs=512 skip=7 count=1 status=none)

	text="written-$RANDOM-$RANDOM"
	boot_disk "$disk" "irq=$irq" "blk.write=9:$text" "blk.flush"
	check "$label irq=$irq: blk.write + blk.flush exit 0" rc_is 0
	check "$label irq=$irq: after the VM ends, sector 9 of the file holds the text, zero-padded" \
		cmp -s <(dd if="$disk" bs=512 skip=9 count=1 status=none) \
		<(printf '%s' "$text"; head -c $((512 - ${#text})) /dev/zero)

	boot_disk "$disk" "irq=$irq" "blk.check=0" "blk.read=100000"
	check "$label irq=$irq: a read past the end, sent anyway, fails with VIRTIO_BLK_S_IOERR" \
		eval 'rc_is 1 && has "device status VIRTIO_BLK_S_IOERR"'
	boot_disk "$disk" "irq=$irq" "blk.read=100000"
	check "$label irq=$irq: ... by default the guest refuses it first, saying why" \
		eval 'rc_is 1 && has "^error: blk.read: sector 100000 is past the end \([0-9]+ sectors\): nothing sent$"'

	boot_disk "$disk" "irq=$irq" "rng.read=32" "rng.read=32"
	local a b
	a=$(grep -E '^rng [0-9a-f]{64}$' <<<"$out" | head -1)
	b=$(grep -E '^rng [0-9a-f]{64}$' <<<"$out" | tail -1)
	check "$label irq=$irq: rng.read prints 32 random bytes" test -n "$a"
	boot_disk "$disk" "irq=$irq" "rng.read=32"
	local c
	c=$(grep -E '^rng [0-9a-f]{64}$' <<<"$out" | head -1)
	check "$label irq=$irq: rng bytes differ between reads and between runs" \
		test -n "$c" -a "$a" != "$b" -a "$a" != "$c"

	if [ "$irq" = msix ]; then
		boot_disk "$disk" "irq=msix" "blk.read=7" "blk.read=8" "blk.flush"
		check "$label irq=msix: one interrupt per request (3 requests, 3 interrupts)" \
			has '^blk: flush ok \(irq=msix, interrupts 3\)$'
	else
		boot_disk "$disk" "irq=poll" "blk.read=7" "blk.flush"
		check "$label irq=poll: polling takes no interrupts" has '^blk: flush ok \(irq=poll, interrupts 0\)$'
	fi
}
