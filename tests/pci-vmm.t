#!/usr/bin/env bash
# pci-vmm.t - the exitlab VMM's PCI bus as the guest and as lspci see it.
# The guest enumerates through ECAM (found via the VMM's ACPI MCFG) and
# through mechanism #1; the VMM dumps its config spaces (--dump-pci) at
# the end of the same run and lspci -F decodes them at test time. Both
# views must agree on every function, BAR and capability, and lspci must
# decode the virtio-pci layout the VMM documents (vmm/vpci.h) and the
# pci-testdev's identity and BARs (vmm/pci_testdev.h, after QEMU's).
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"
command -v lspci >/dev/null || skip_all "lspci is not installed (apt-get install pciutils)"
plan 23

view() { python3 "$ROOT/tests/lib/pci_view.py" "$@"; }
disk="$TMP/disk.img"
truncate -s 1M "$disk"

for mech in ecam cf8; do
	boot_vmm --disk "$disk" --rng --dump-pci "$TMP/dump-$mech" --append "pci=$mech pci=list" "$GUEST"
	check "$mech: pci=list exits 0" rc_is 0
	check "$mech: the guest used $mech" has "^pci: config access through $( [ $mech = ecam ] && echo ECAM || echo mechanism)"
	printf '%s\n' "$out" >"$TMP/guest-$mech"
	lspci -F "$TMP/dump-$mech" -vvv -nn >"$TMP/lspci-$mech" 2>/dev/null
	check "$mech: guest pci=list and lspci -F on --dump-pci agree (functions, IDs, classes, BARs, capabilities)" \
		diff <(view guestcaps "$TMP/guest-$mech") <(view lspci "$TMP/lspci-$mech")
done

lspci_out=$(cat "$TMP/lspci-ecam")
out=$lspci_out
check "lspci: host bridge at 00:00.0" has '^00:00\.0 Host bridge \[0600\]: .*\[1b36:0008\]'
check "lspci: virtio-blk (1af4:1042) and virtio-rng (1af4:1044)" \
	eval 'has "^00:01\.0 .*\[1af4:1042\]" && has "^00:02\.0 .*\[1af4:1044\]"'
check "lspci: virtio common cfg at BAR0+0, 60 bytes" has 'BAR=0 offset=00000000 size=0000003c'
check "lspci: notify at BAR0+0x3000, multiplier 4" has 'BAR=0 offset=00003000 size=00000004 multiplier=00000004'
check "lspci: ISR at BAR0+0x1000, device cfg at BAR0+0x2000" \
	eval 'has "BAR=0 offset=00001000 size=00000001" && has "BAR=0 offset=00002000 size=00000040"'
check "lspci: MSI-X with 2 vectors, table and PBA on their own pages of BAR0" \
	eval 'has "MSI-X: Enable. Count=2" && has "Vector table: BAR=0 offset=00004000" && has "PBA: BAR=0 offset=00005000"'
out=$(cat "$TMP/guest-ecam")
check "guest: BAR0 sized 32 KiB through the writable mask, 64-bit type kept" \
	has '^pci 00:01\.0 bar0=mem64:0x[0-9a-f]+/0x8000'
boot_vmm --append "pci=list" "$GUEST"
check "no devices: only the host bridge" eval 'rc_is 0 && has "^pci 00:00\.0 1b36:0008 class=060000" && lacks "^pci 00:01"'

# --pci-testdev: QEMU's test device (1b36:0005, class 00ff00; BAR0 4 KiB of
# 32-bit MMIO, BAR1 256 ports), on the slot after the virtio devices.
boot_vmm --disk "$disk" --rng --pci-testdev --dump-pci "$TMP/dump-testdev" --append "pci=list" "$GUEST"
check "pci-testdev: pci=list exits 0" rc_is 0
printf '%s\n' "$out" >"$TMP/guest-testdev"
check "pci-testdev: the guest finds it at 00:03.0 and sizes BAR0 4 KiB mem32, BAR1 256 ports" \
	eval 'has "^pci 00:03\.0 1b36:0005 class=00ff00 hdr=0" && has "^pci 00:03\.0 bar0=mem32:0x[0-9a-f]+/0x1000 " &&
		has "^pci 00:03\.0 bar1=io:0x[0-9a-f]+/0x100 "'
mem=$(sed -nE 's/^pci 00:03\.0 bar0=mem32:0x([0-9a-f]+)\/.*/\1/p' <<<"$out")
io=$(sed -nE 's/^pci 00:03\.0 bar1=io:0x([0-9a-f]+)\/.*/\1/p' <<<"$out")
lspci -F "$TMP/dump-testdev" -vvv -nn >"$TMP/lspci-testdev" 2>/dev/null
check "pci-testdev: guest pci=list and lspci -F on --dump-pci agree" \
	diff <(view guestcaps "$TMP/guest-testdev") <(view lspci "$TMP/lspci-testdev")
out=$(sed -n '/^00:03\.0 /,/^$/p' "$TMP/lspci-testdev") # its paragraph only
check "lspci: 00:03.0 is an unclassified device [00ff], QEMU PCI Test Device [1b36:0005]" \
	has '^00:03\.0 Unclassified device \[00ff\]: .*\[1b36:0005\]'
check "lspci: its regions are where the guest put them, with the types the VMM gave them" \
	eval 'has "^\s+Region 0: Memory at 0*$mem \(32-bit, non-prefetchable\)" && has "^\s+Region 1: I/O ports at 0*$io$"'
check "lspci: the guest turned on its I/O and memory decoding" has '^\s+Control: I/O\+ Mem\+'

# One walk of the bus, whoever asks first: the table pci=list made serves
# virtio=list too (and testdev=, bar.*, cfg.write=, bench=, chaos=), in
# either order. The pci-testdev's config space, which virtio=list has no
# business with, then sees the accesses of pci=list alone: one walk and
# one listing.
walks() { grep -c '^pci: config access through' <<<"$out"; }
tdev_cfg() { sed -nE 's/^stats: +config space of 00:03\.0 pci-testdev +reads +([0-9]+) writes +([0-9]+)$/\1 \2/p' <<<"$out"; }
boot_vmm --stats --disk "$disk" --rng --pci-testdev --append "pci=list" "$GUEST"
alone=$(tdev_cfg)
boot_vmm --stats --disk "$disk" --rng --pci-testdev --append "pci=list virtio=list" "$GUEST"
check "pci=list virtio=list: exits 0, the bus walked once" eval 'rc_is 0 && [ "$(walks)" = 1 ]'
check "pci=list virtio=list: the pci-testdev's config space sees pci=list's accesses only (reads, writes: $alone)" \
	eval '[ -n "$alone" ] && [ "$(tdev_cfg)" = "$alone" ]'
boot_vmm --disk "$disk" --rng --append "virtio=list pci=list" "$GUEST"
check "virtio=list pci=list: exits 0, the bus walked once" eval 'rc_is 0 && [ "$(walks)" = 1 ]'
