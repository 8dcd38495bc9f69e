#!/usr/bin/env bash
# microvm-qemu.t - the guest under QEMU's microvm machine: with and without
# pcie=on and acpi=on it boots and says which machine it is on, from what
# it found; with pcie=on (no MCFG there) it finds ECAM through the DSDT's
# PCI Express host bridge (_CBA), enumerates the bus as QEMU sees it (QMP
# query-pci, also behind a PCIe root port the guest numbers), and drives
# QEMU's virtio-blk-pci and virtio-rng-pci (tests/lib/virtio_checks.sh),
# polled and with MSI-X. TCG always; KVM when /dev/kvm is usable.
source "$(dirname "$0")/lib/tap.sh"
source "$(dirname "$0")/lib/virtio_checks.sh"
source "$(dirname "$0")/lib/pci_qmp.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
command -v python3 >/dev/null || skip_all "python3 is needed to speak QMP"
command -v xxd >/dev/null || skip_all "xxd is not installed (apt-get install xxd)"
plan $((4 * 3 + 5 + 6 + 2 * 9 + 9 + 2))

MICROVM_LINE='^machine: QEMU microvm \(fw_cfg; no PCI host bridge at 0xcf8; ACPI OEM "BOCHS", hardware-reduced FADT\)$'
ECAM_LINE='^pci: config access through ECAM at 0xe0000000 \(buses 0-255, from ACPI PCI0\._CBA in the DSDT\)$'

# The four corners, TCG: boot, the machine named from its evidence, and
# ECAM where (and only where) the machine says where it is.
for opts in pcie=on,acpi=on pcie=off,acpi=on pcie=on,acpi=off pcie=off,acpi=off; do
	dev=()
	[ "$opts" = pcie=on,acpi=on ] && dev=(-device virtio-rng-pci)
	boot_qemu tcg --machine "microvm,$opts" --append "pci=list" -- "${dev[@]}"
	check "TCG microvm,$opts: boots, pci=list succeeds, exit 0" eval 'rc_is 0 && has "^pci: ([0-9]+ functions through |no devices found)"'
	case $opts in
	*acpi=on) check "TCG microvm,$opts: named microvm from fw_cfg, no host bridge at 0xcf8 and a hardware-reduced FADT" has "$MICROVM_LINE" ;;
	*) check "TCG microvm,$opts: named microvm from fw_cfg's etc/fdt, with no ACPI" \
		has '^machine: QEMU microvm \(fw_cfg with etc/fdt, [0-9]+ bytes; no PCI host bridge at 0xcf8; no ACPI\)$' ;;
	esac
	case $opts in
	pcie=on,acpi=on)
		check "TCG microvm,$opts: no MCFG, ECAM from the DSDT's host bridge _CBA and _CRS, the virtio-rng found" \
			eval 'has "^acpi: RSDP at 0x[0-9a-f]+ .*: no valid MCFG among [0-9]+ tables; DSDT at 0x[0-9a-f]+: PCI Express host bridge PCI0 \(PNP0A08\): ECAM at 0xe0000000 from its _CBA, buses 0-255 from its _CRS$" &&
			      has "$ECAM_LINE" && has "^pci 00:[0-9a-f]{2}\.0 1af4:1005 "' ;;
	pcie=off,acpi=on)
		check "TCG microvm,$opts: the DSDT has no PCIe host bridge, said so; no PCI" \
			eval 'has "; DSDT at 0x[0-9a-f]+: no PCI Express host bridge \(_HID/_CID PNP0A08\) of segment 0 in it: this machine gives no ECAM location$" &&
			      has "^pci: no devices found"' ;;
	*)
		check "TCG microvm,$opts: no ACPI, no ECAM window, nothing at 0xcf8: said so, no PCI" \
			eval 'has "^acpi: no RSDP" && has "^pci: no host bridge at 0xcf8 and no ECAM window from ACPI: no PCI reachable$" &&
			      has "^pci: no devices found"' ;;
	esac
done

boot_qemu tcg --machine microvm --append "pci=list exit=7"
check "TCG microvm: isa-debug-exit works there too: exit=7 maps back to 7" rc_is 7
check "TCG microvm: plain --machine microvm is pcie=on (ECAM found)" has "$ECAM_LINE"
boot_qemu tcg --machine microvm --append "fault=ud"
check "TCG microvm: fault=ud is reported, exit 3" eval 'rc_is 3 && has "^exception: vector 6 \(#UD invalid opcode\)"'
# QEMU 7.2 builds microvm's PCIe host only with ACPI: pcie=on,acpi=off has
# no PCI bus at all (so no ECAM whose location could go unsaid).
boot_qemu tcg --machine microvm,pcie=on,acpi=off --append "exit=0" -- -device virtio-rng-pci
check "QEMU microvm,pcie=on,acpi=off has no PCI bus (QEMU refuses a PCI device there)" \
	eval 'rc_is 125 && has "No .PCI. bus found for device"' 
out=$("$ROOT/scripts/run-qemu" --dry-run --machine microvm,pcie=off "$GUEST")
check "run-qemu: --machine with options passes them as given" has '^qemu-system-x86_64 -machine microvm,pcie=off '

# pci=list against QEMU's own view, the guest assigning every BAR (no
# firmware does) in the host bridge's window, and numbering the root port.
truncate -s 1M "$TMP/disk.img"
BOOT_MACHINE=microvm boot_wait mvm "pci=list" \
	-device virtio-blk-pci,drive=d0 -drive "if=none,id=d0,file=$TMP/disk.img,format=raw" -device virtio-rng-pci \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 -device virtio-rng-pci,bus=rp1
check "TCG microvm: guest listed the bus through ECAM and reached 'wait'" \
	eval 'has "$ECAM_LINE" && has "^pci: [0-9]+ functions through ECAM$" && has "^wait: halted"'
check "TCG microvm: QEMU answered query-pci, every BAR inside its bridges' windows" qmp_ok mvm
check "TCG microvm: every function, with its BARs, as QEMU sees them" same_view mvm
check "TCG microvm: the GPEX host, both virtio kinds, the root port and the device behind it" \
	eval 'has "^pci 00:00\.0 1b36:0008 class=060000 " && has "^pci 00:[0-9a-f.]+ 1af4:1001 " &&
	      has "^pci 00:[0-9a-f.]+ 1b36:000c class=060400 hdr=1 " && has "^pci 01:00\.0 1af4:1044 " &&
	      has "^pci 00:[0-9a-f.]+: bridge numbered: buses 01-01 behind it$"'
check "TCG microvm: memory BARs placed in the DSDT's window (0xc0000000-0xdfffffff), I/O BARs not (it has no I/O window)" \
	eval 'has "^pci: assigned [1-9][0-9]* BARs \([1-9][0-9]* failed\) from mem 0xc[0-9a-f]+-0xe0000000, io 0x0-0x0$" &&
	      lacks "^pci [0-9a-f:.]+ bar[0-5]=mem(32|64):0x([0-9a-b]|e|f)[0-9a-f]{7}/" && lacks "^error: "'
check "TCG microvm: PCIe extended capabilities read through ECAM" has '^pci [0-9a-f:.]+ cap 0x1[0-9a-f]{2} id=0x[0-9a-f]{4} ext '

# The disk and rng checks of virtio_checks.sh, QEMU's default
# (transitional) devices on microvm's PCIe.
ACCEL=tcg
boot_disk() {
	local disk=$1
	shift
	boot_qemu "$ACCEL" --machine microvm --append "$*" -- \
		-drive "if=none,id=d0,file=$disk,format=raw" -device virtio-blk-pci,drive=d0 -device virtio-rng-pci
}
virtio_checks "TCG microvm" poll
virtio_checks "TCG microvm" msix

if kvm_usable; then
	ACCEL=kvm
	virtio_checks "KVM microvm" msix
	boot_qemu kvm --machine microvm,pcie=off,acpi=off --append "exit=0"
	check "KVM microvm,pcie=off,acpi=off: boots and is named" \
		eval 'rc_is 0 && has "^machine: QEMU microvm \(fw_cfg with etc/fdt"'
	boot_qemu kvm --machine microvm --append "pci=list"
	check "KVM microvm: CPUID says KVM, ECAM from the DSDT" \
		eval 'rc_is 0 && has "^cpu: hypervisor bit set, signature \"KVMKVMKVM\"" && has "$ECAM_LINE"'
else
	for i in $(seq 11); do skip "/dev/kvm is missing or not usable: QEMU-KVM microvm boots not run"; done
fi
