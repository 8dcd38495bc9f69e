#!/usr/bin/env bash
# pci-qemu.t - the guest's PCI enumeration (pci=list) against QEMU's own view
# of the same running VM, through both config mechanisms, from three starting
# points: SeaBIOS, which assigns every BAR; qboot, which assigns none (the
# guest must); SeaBIOS's work undone by pci=reset (BARs and bus numbers).
# The guest ends with `wait` (halted, not exited); the test then asks QEMU
# through QMP query-pci what the bus holds - IDs, classes, BAR addresses and
# sizes, bridge windows - compares, and quits QEMU through QMP. Nothing is
# compared against a captured copy. Device set: virtio-blk, virtio-rng,
# pci-testdev, edu, a pci-bridge with a virtio-rng and a second pci-bridge
# (with a pci-testdev) behind it, a PCIe root port with a virtio-rng.
source "$(dirname "$0")/lib/tap.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v python3 >/dev/null || skip_all "python3 is needed to speak QMP"
QBOOT=/usr/share/qemu/qboot.rom
source "$(dirname "$0")/lib/pci_qmp.sh"
plan 66

truncate -s 1M "$TMP/disk.img"
DEVICES=(
	-device virtio-blk-pci,drive=d0 -drive "if=none,id=d0,file=$TMP/disk.img,format=raw"
	-device virtio-rng-pci
	-device pci-testdev
	-device edu
	-device pci-bridge,id=br1,chassis_nr=1 -device virtio-rng-pci,bus=br1,addr=0x3
	-device pcie-root-port,id=rp1,chassis=2,slot=1 -device virtio-rng-pci,bus=rp1
	-device pci-bridge,id=br2,chassis_nr=3,bus=br1,addr=0x4 -device pci-testdev,bus=br2,addr=0x1
)

# Every function asked for is there: the q35 chipset and each -device
# (the root port and pci-bridge get bus numbers from firmware or the guest).
all_functions() {
	has '^pci 00:00\.0 8086:29c0 class=060000 ' && has '^pci 00:1f\.0 8086:2918 class=0601' &&
		has '^pci [0-9a-f:.]+ 1af4:1001 class=010000 ' && has '^pci [0-9a-f:.]+ 1b36:0005 ' &&
		has '^pci [0-9a-f:.]+ 1234:11e8 ' && has '^pci 00:[0-9a-f.]+ 1b36:0001 class=060400 hdr=1 ' &&
		[ "$(grep -cE '^pci [0-9a-f:.]+ 1af4:1005 ' <<<"$out")" = 2 ] &&
		has '^pci 0[1-9]:03\.0 1af4:1005 ' && has '^pci 00:[0-9a-f.]+ 1b36:000c class=060400 hdr=1 ' &&
		has '^pci 0[1-9]:04\.0 1b36:0001 class=060400 hdr=1 ' && has '^pci 0[1-9]:01\.0 1b36:0005 ' &&
		has '^pci 0[1-9]:00\.0 1af4:1044 ' # virtio-rng on PCIe: modern-only ID
}
virtio_caps() {
	has '^pci [0-9a-f:.]+ cap 0x[0-9a-f]+ id=0x09 Vendor Specific virtio common cfg_type=1 bar=[0-5] offset=0x[0-9a-f]+ length=0x[0-9a-f]+$' &&
		has '^pci [0-9a-f:.]+ cap 0x[0-9a-f]+ id=0x09 Vendor Specific virtio notify cfg_type=2 bar=[0-5] .* notify_off_multiplier=[0-9]+$' &&
		has '^pci [0-9a-f:.]+ cap 0x[0-9a-f]+ id=0x11 MSI-X table_size=[0-9]+ table=bar[0-5]\+0x[0-9a-f]+ pba=bar[0-5]\+0x[0-9a-f]+'
}

# Three starting points: SeaBIOS (everything assigned), qboot (no BAR
# assigned), and SeaBIOS undone by pci=reset (no BAR, no bus number).
for fw in seabios qboot reset; do
	fwargs=() pre=""
	case $fw in
	qboot)
		if [ ! -r "$QBOOT" ]; then
			for i in $(seq 1 21); do skip "$QBOOT is missing (qemu-system-data): no qboot boots"; done
			continue
		fi
		fwargs=(-bios "$QBOOT") ;;
	reset) pre="pci=reset" ;;
	esac
	for mech in ecam cf8; do
		name=$fw-$mech
		boot_wait "$name" "pci=$mech $pre pci=list" -machine q35 "${fwargs[@]}" "${DEVICES[@]}"
		label="$fw, $mech"
		check "$label: guest listed the bus and reached 'wait'" \
			eval 'has "^pci: [0-9]+ functions through " && has "^wait: halted"'
		if [ "$mech" = ecam ]; then
			check "$label: ECAM found through ACPI MCFG" \
				eval 'has "^acpi: RSDP at 0x[0-9a-f]+ .*MCFG at 0x[0-9a-f]+: ECAM at 0xb0000000, buses 0-255$" &&
				      has "^pci: config access through ECAM at 0xb0000000"'
		else
			check "$label: config access through mechanism #1" has '^pci: config access through mechanism #1'
		fi
		check "$label: QEMU answered query-pci, every BAR inside its bridges' windows" qmp_ok "$name"
		check "$label: every function, with its BARs, as QEMU sees them" same_view "$name"
		check "$label: all the functions asked for, behind all three bridges" all_functions
		check "$label: virtio and MSI-X capabilities decoded" virtio_caps
		check "$label: no config-space parse errors" lacks '^pci [0-9a-f:.]+ error '
		check "$label: the guest found nothing wrong with QEMU's devices (no error lines)" lacks '^error: '
		if [ "$mech" = ecam ]; then
			check "$label: PCIe extended capabilities read (behind the root port)" \
				has '^pci [0-9a-f:.]+ cap 0x1[0-9a-f]{2} id=0x[0-9a-f]{4} ext '
		else
			check "$label: no extended capabilities through mechanism #1" lacks ' cap 0x[0-9a-f]+ id=0x[0-9a-f]+ ext '
		fi
		if [ "$fw" != seabios ]; then
			check "$label: the guest assigned BARs firmware left at 0" has '^pci: assigned [1-9][0-9]* BARs \(0 failed\)'
			check "$label: every BAR non-zero, aligned, below 4 GiB, no overlaps" bars_sane "$name"
		fi
		if [ "$fw" = reset ]; then
			check "$label: the guest numbered all three bridges" \
				eval '[ "$(grep -cE "^pci [0-9a-f:.]+: bridge numbered: buses [0-9a-f]{2}-[0-9a-f]{2} behind it$" <<<"$out")" = 3 ]'
		fi
	done
done

# The exitlab VMM has no PCI devices yet (or only a host bridge): the walk
# must find nothing (or that) and succeed.
if kvm_usable && [ -x "$VMM" ]; then
	boot_vmm --append "pci=list" "$GUEST"
	check "exitlab VMM: pci=list succeeds" eval 'rc_is 0 && has "^pci: (no devices found|[0-9]+ functions through )"'
else
	skip "/dev/kvm is missing or not usable: pci=list under the exitlab VMM not run"
fi

boot_qemu tcg --append "pci=bogus"
check "pci=bogus is a usage error naming the value" eval "rc_is 2 && has \"^error: pci: 'bogus' is not one of: list cf8 ecam reset\""
