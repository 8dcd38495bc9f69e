#!/usr/bin/env bash
# pci-topology.t - the VMM's PCI topology: devices placed at any function
# (--disk FILE@BB:DD.F, --rng@BB:DD.F, ,addr=BB:DD.F), multifunction slots,
# PCI-to-PCI bridges (--pci-bridge, the n-th with bus n behind it) and
# devices behind them. Placement errors are option errors, refused before
# KVM is opened (they run without /dev/kvm). With KVM: the guest's pci=list
# of a tree with two bridges (one behind the other), a multifunction slot
# and virtio devices behind the bridges agrees with lspci -F on the VMM's
# --dump-pci (through ECAM and mechanism #1), every BAR behind a bridge lies
# in its windows, lspci -t draws the tree, and the virtio-blk and rng
# checks of tests/lib/virtio_checks.sh pass with both devices behind a
# bridge.
source "$(dirname "$0")/lib/tap.sh"
source "$(dirname "$0")/lib/virtio_checks.sh"
plan 44

disk="$TMP/disk.img"
truncate -s 1M "$disk"
head -c 256 /dev/zero >"$TMP/zero.bin"
run() { out=$("$VMM" "$@" "$GUEST" 2>&1); rc=$?; }
refused() { # MESSAGE: exit 125, the one line, the hint
	rc_is 125 && has "^vmm: $1$" && has "^try 'vmm --help'$"
}

run --disk "$disk@00:01.0" --rng@00:01.0
check "a taken function is refused, naming who has it" refused "--rng: 00:01\.0 is taken by --disk $disk"
run --rng,addr=00:01.0
check "--rng takes only @ or =addr= (a typo is not swallowed)" eval 'rc_is 125 && has "unrecognized option"'
run --rng=addr=00:00.0
check "00:00.0 is the host bridge's" refused "--rng: 00:00\.0 is taken by the host bridge"
run --pci-testdev@01:00.0
check "no bus 01 without a bridge" refused "--pci-testdev: no bus 01: without --pci-bridge there is only bus 00"
run --pci-bridge --rng@02:00.0
check "a bus no bridge gives" refused "--rng: no bus 02: the 1 --pci-bridge option gives bus 01-01"
run --disk "$disk@00:20.0"
check "device 0x20 is not a PCI address" \
	refused "--disk $disk: '00:20\.0' is not a PCI address: give BB:DD\.F \(hex; device 00-1f, function 0-7\)"
run --pci-raw "$TMP/zero.bin,addr=00:02.8"
check "function 8 is not a PCI address (,addr= form)" refused "--pci-raw $TMP/zero\.bin: '00:02\.8' is not a PCI address.*"
run --rng@00:03.2
check "function 2 without function 0 is refused" \
	refused "--rng: 00:03\.2 has no function 0 beside it \(PCI 3\.0 §6\.2\.1: software finds functions 1-7 through function 0\)"
run --pci-bridge@01:00.0
check "a bridge on its own secondary bus is refused" \
	refused "--pci-bridge \(bus 01 behind it\): bus 01 is behind this bridge \(it would sit behind itself\)"
run --pci-bridge@02:00.0 --pci-bridge@01:00.0
check "two bridges behind each other (a loop) are refused" \
	refused "--pci-bridge \(bus 02 behind it\): bus 01 is behind this bridge \(it would sit behind itself\)"

if ! kvm_usable; then
	for i in $(seq 11 44); do skip "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"; done
	exit 0
fi
command -v lspci >/dev/null || { for i in $(seq 11 44); do skip "lspci is not installed"; done; exit 0; }
view() { python3 "$ROOT/tests/lib/pci_view.py" "$@"; }

# Without places the order of old stays, bridges last.
boot_vmm --disk "$disk" --rng --pci-bridge --append "pci=list" "$GUEST"
check "default order: disk 00:01.0, rng 00:02.0, then the bridge 00:03.0 with bus 01 behind it" \
	eval 'rc_is 0 && has "^pci 00:01\.0 1af4:1042 " && has "^pci 00:02\.0 1af4:1044 " &&
		has "^pci 00:03\.0 1b36:0001 class=060400 hdr=1 secondary=01 subordinate=01$"'
check "... the guest keeps the VMM's numbering (no renumbering said)" lacks "bridge numbered|renumbering"

# The tree: 00:03.0 bridge -> bus 01 (disk at 01:00.0, rng at 01:00.1, a
# second bridge at 01:1f.0 -> bus 02 with a pci-testdev); on bus 00 a
# pci-testdev at 00:05.0 with a --pci-raw at 00:05.3.
tree=(--pci-bridge@00:03.0 --pci-bridge@01:1f.0 --disk "$disk@01:00.0" --rng@01:00.1
	--pci-testdev@00:05.0 --pci-raw "$TMP/raw.bin,addr=00:05.3")
python3 - "$TMP/raw.bin" <<'PY'
import struct, sys
cfg = bytearray(256)
struct.pack_into("<HHHHI", cfg, 0, 0x1234, 0x5678, 0, 0, 0xff000000)
open(sys.argv[1], "wb").write(cfg)
PY
for mech in ecam cf8; do
	boot_vmm "${tree[@]}" --dump-pci "$TMP/dump-$mech" --append "pci=$mech pci=list" "$GUEST"
	check "$mech: pci=list exits 0" rc_is 0
	printf '%s\n' "$out" >"$TMP/guest-$mech"
	lspci -F "$TMP/dump-$mech" -vvv -nn >"$TMP/lspci-$mech" 2>/dev/null
	check "$mech: guest pci=list and lspci -F on --dump-pci agree on every bus (functions, IDs, BARs, capabilities)" \
		diff <(view guestcaps "$TMP/guest-$mech") <(view lspci "$TMP/lspci-$mech")
	check "$mech: every BAR behind a bridge is inside that bridge's windows (lspci's decode)" \
		view windows <(cat "$TMP/lspci-$mech" "$TMP/guest-$mech")
done
check "the bridges: 00:03.0 buses 01-02, 01:1f.0 bus 02, as the VMM numbered them" \
	eval 'has "^pci 00:03\.0 1b36:0001 class=060400 hdr=1 secondary=01 subordinate=02$" &&
		has "^pci 01:1f\.0 1b36:0001 class=060400 hdr=1 secondary=02 subordinate=02$"'
check "multifunction behind the bridge: 01:00.0 has the mf bit, 01:00.1 is there" \
	eval 'has "^pci 01:00\.0 1af4:1042 class=018000 hdr=0 mf$" && has "^pci 01:00\.1 1af4:1044 class=00ff00 hdr=0$"'
check "multifunction on bus 0: the pci-testdev at 00:05.0 gets the mf bit, the raw function 00:05.3 is found" \
	eval 'has "^pci 00:05\.0 1b36:0005 class=00ff00 hdr=0 mf$" && has "^pci 00:05\.3 1234:5678 class=ff0000 hdr=0$"'
check "the MCFG covers buses 0-2" has "^acpi: .*ECAM at 0xb0000000, buses 0-2$"
out=$(lspci -F "$TMP/dump-ecam" -t 2>/dev/null)
diag "$out"
check "lspci -t: bus 02 behind 01:1f.0 behind 00:03.0, functions 0 and 1 of 01:00, 0 and 3 of 00:05" \
	eval 'has "^-\[0000:00\]-\+-00\.0$" && has "^ +\+-03\.0-\[01-02\]--\+-00\.0$" && has "^ +\| +\+-00\.1$" &&
		has "^ +\| +\\\\-1f\.0-\[02\]--$" && has "^ +\+-05\.0$" && has "^ +\\\\-05\.3$"'
out=$(sed -n '/^00:03\.0 /,/^$/p' "$TMP/lspci-ecam")
check "lspci: the bridge's windows as the guest opened them, memory and I/O decoding on" \
	eval 'has "Bus: primary=00, secondary=01, subordinate=02" && has "Memory behind bridge: c[0-9a-f]{7}-" &&
		has "Control: I/O. Mem\+ BusMaster\+"'

# The guest renumbers a bridge (cfg.write= of its bus numbers, then a new
# walk through mechanism #1, which keeps the numbers it finds): config
# cycles follow, and --dump-pci prints the bus as the guest left it.
boot_vmm --pci-bridge --rng@01:00.0 --dump-pci "$TMP/dump-renumbered" \
	--append "cfg.write=00:01.0,0x1a,1,0x07 cfg.write=00:01.0,0x19,1,0x07 pci=cf8 pci=list" "$GUEST"
check "renumbered to bus 07: the guest finds the rng at 07:00.0" \
	eval 'rc_is 0 && has "^pci 07:00\.0 1af4:1044 " && lacks "^pci 01:00\.0"'
out=$(lspci -F "$TMP/dump-renumbered" 2>/dev/null)
check "... and --dump-pci puts it at 07:00.0" eval 'has "^07:00\.0 " && lacks "^01:00\.0 "'

# The same virtio-blk and rng checks, both devices behind a bridge.
boot_disk() { local d=$1; shift; boot_vmm --pci-bridge --disk "$d@01:00.0" --rng@01:00.1 --append "$*" "$GUEST"; }
virtio_checks "behind a bridge" poll
virtio_checks "behind a bridge" msix
