#!/usr/bin/env bash
# passthrough.t - build/vmm --passthrough on fixture devices (scripts/mkfixture
# from the corpus virtio-blk, ../shared/corpus/pci-config/0000_00_02.0.*):
# what the guest sees (IDs, class, subsystem, BAR sizes, the capability chain
# filtered to MSI, MSI-X, PCI Express and vendor-specific, no ROM), where its
# BAR stores go (the mmapped part of BAR0 into the fixture's resource0 with
# no exit; the MSI-X table page trapped by the VMM and kept out of the file),
# that config writes never reach the device's BARs, ROM, IDs or bus-master
# bit without --unsafe-dma, and the refusals of devices that cannot be
# passed through (exit 125, a message on stderr). The guest side is
# bar.read=/bar.write=/cfg.write= (guest/ptdev.c); the expected capabilities
# come from lspci -F on the corpus dump, decoded at test time.
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"
command -v lspci >/dev/null || skip_all "lspci is not installed (apt-get install pciutils)"
CORPUS=$ROOT/../shared/corpus/pci-config
[ -r "$CORPUS/0000_00_02.0.config.bin" ] || skip_all "no corpus device at $CORPUS"
plan 32

view() { python3 "$ROOT/tests/lib/pci_view.py" "$@"; }
BLK_CFG=$CORPUS/0000_00_02.0.config.bin
BLK_RES=$CORPUS/0000_00_02.0.resource.txt

# fixture NAME CONFIG [mkfixture options]: a sysfs tree of its own per
# fixture (libpci scans the whole tree, so a broken device stays alone);
# prints the device directory.
fixture() {
	local name=$1 cfg=$2
	shift 2
	"$ROOT/scripts/mkfixture" "$cfg" "$BLK_RES" "$TMP/$name/sys/devices" "$@"
}
# poke FILE OFFSET BYTE...: overwrite bytes of a file in place.
poke() {
	python3 - "$@" <<-'EOF'
		import sys
		path, off, vals = sys.argv[1], int(sys.argv[2], 0), bytes(int(v, 0) for v in sys.argv[3:])
		with open(path, "r+b") as f:
		    f.seek(off)
		    f.write(vals)
	EOF
}
# file_bytes FILE OFFSET LEN: those bytes as lowercase hex.
file_bytes() { od -An -v -tx1 -j "$2" -N "$3" "$1" | tr -d ' \n'; }
hex_of() { printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'; }
# The guest's address for BAR0 of 00:01.0, from its pci=list line.
bar0_addr() { sed -nE 's/^pci 00:01\.0 bar0=mem(32|64):(0x[0-9a-f]+)\/.*/\2/p' <<<"$out" | head -n 1; }
# no_stats_cover ADDR: no "stats:" mmio line (a trapped range with accesses,
# or an unclaimed address) covers ADDR: the access never left the guest.
no_stats_cover() {
	local addr=$(($1)) base len
	while read -r base len; do
		if ((addr >= base && addr < base + len)); then
			diag "a stats line covers $1: $(grep -E "^stats: +mmio 0x0*$(printf '%x' "$base")" <<<"$out")"
			return 1
		fi
	done < <(sed -nE 's/^stats: +mmio (0x[0-9a-f]+)\+(0x[0-9a-f]+) .*/\1 \2/p; s/^stats: +mmio (0x[0-9a-f]+) +\(unclaimed\).*/\1 1/p' <<<"$out")
}
# stats_writes NAME: the writes count on the stats line named NAME (empty if none).
stats_writes() { grep -F -- "$1" <<<"$out" | sed -nE 's/.* writes +([0-9]+)$/\1/p' | head -n 1; }
# refuse DESC PATTERN VMM-ARGS...: the VMM exits 125 before the guest runs,
# with PATTERN on stderr.
refuse() {
	local desc=$1 pattern=$2 err
	shift 2
	err=$(timeout --kill-after=5 "$BOOT_TIMEOUT" "$VMM" "$@" --append "pci=list" "$GUEST" 2>&1 >/dev/null)
	rc=$?
	out=$err
	check "refused: $desc (exit 125, stderr: $pattern)" eval 'rc_is 125 && has "$pattern"'
}

dev=$(fixture blk "$BLK_CFG")
SYS=$TMP/blk/sys/devices
PT=(--passthrough 0000:00:02.0 --sysfs-root "$SYS")
# The corpus device had bus mastering on when it was recorded; turn it off in
# the fixture so that "the guest never gets it" is visible in the file.
poke "$dev/config" 4 $(($(file_bytes "$dev/config" 4 1 | sed 's/^/0x/') & ~4))
cp "$dev/config" "$TMP/config.orig"

# --- What the guest sees ---------------------------------------------------
boot_vmm "${PT[@]}" --dump-pci "$TMP/dump" --append "pci=list cfg.write=00:01.0,0x30,4,0xfffff800" "$GUEST"
printf '%s\n' "$out" >"$TMP/guest-list"
check "pci=list with the device passed through exits 0" rc_is 0
check "it is at 00:01.0 (the first free slot) with the host's IDs and class" \
	has '^pci 00:01\.0 1af4:1042 class=018000 hdr=0$'
check "BAR0 is a 64-bit BAR of the host's 512 KiB, assigned by the guest below 4 GiB" \
	has '^pci 00:01\.0 bar0=mem64:0x[0-9a-f]{8}/0x80000 assigned$'
check "no other BAR (the host has only BAR0)" lacks '^pci 00:01\.0 bar[1-5]='
check "the ROM BAR is hidden: sizing it reads back 0" \
	has '^cfg 00:01\.0 0x30: wrote 0xfffff800 \(4 bytes\), reads back 0x00000000$'

# lspci -F on the recorded dump, at test time: the host's view, rewritten to
# the guest's BDF and filtered to the allow-list (MSI 05, vendor-specific 09,
# Express 10, MSI-X 11); BAR addresses differ by design, so only IDs, class
# and capabilities are compared.
allowed() { grep -E ' class=| id=0x(05|09|10|11)$' | grep -v ' bar[0-5]='; }
lspci -F "$CORPUS/0000_00_02.0.lspci-x.txt" -vvv -nn >"$TMP/lspci-host" 2>/dev/null
view lspci "$TMP/lspci-host" | sed 's/^pci 00:02\.0 /pci 00:01.0 /' | allowed >"$TMP/want"
view guestcaps "$TMP/guest-list" | grep '^pci 00:01\.0 ' | allowed >"$TMP/got"
check "guest: IDs, class and capabilities equal lspci's of the host config (allow-listed)" \
	eval 'grep -q " cap " "$TMP/want" && diff "$TMP/want" "$TMP/got"'
lspci -F "$TMP/dump" -vvv -nn >"$TMP/lspci-dump" 2>/dev/null
out=$(sed -n '/^00:01\.0 /,/^$/p' "$TMP/lspci-dump")
check "--dump-pci: lspci sees the host's subsystem 1af4:1042 at 00:01.0" has '^\s+Subsystem: .*\[1af4:1042\]'
check "--dump-pci: no expansion ROM" lacks 'Expansion ROM'
check "--dump-pci: the MSI-X capability says where the host's table and PBA are" \
	eval 'has "Vector table: BAR=0 offset=00008000" && has "PBA: BAR=0 offset=00048000"'

# A capability outside the allow-list disappears from the chain: the same
# device with its last vendor-specific capability (0x84) turned into power
# management (0x01).
pm=$(fixture pm "$BLK_CFG" --bdf 0000:00:04.0)
poke "$pm/config" 0x84 0x01
boot_vmm --passthrough 0000:00:04.0 --sysfs-root "$TMP/pm/sys/devices" --append "pci=list" "$GUEST"
check "a power-management capability is left out of the chain, the others stay" \
	eval 'rc_is 0 && lacks "^pci 00:01\.0 cap 0x84 " && has "^pci 00:01\.0 cap 0x70 id=0x09" &&
		has "^pci 00:01\.0 cap 0x98 id=0x11"'

# --- BAR0: mapped, except the MSI-X table page ----------------------------
text=hello-passthrough
boot_vmm "${PT[@]}" --stats --append "pci=list bar.write=00:01.0,0,0x1000,$text bar.read=00:01.0,0,0x1000,${#text}" "$GUEST"
addr=$(bar0_addr)
check "bar.write/bar.read of BAR0+0x1000 exit 0, the guest reads its text back" \
	eval 'rc_is 0 && has "^bar 00:01\.0 bar0\+0x1000: $(hex_of $text)$"'
check "the store landed in the fixture's resource0 at 0x1000" \
	eval '[ "$(file_bytes "$dev/resource0" 4096 ${#text})" = "$(hex_of $text)" ]'
check "with no exit: no stats line covers BAR0+0x1000 (${addr:-no BAR0})" \
	eval '[ -n "$addr" ] && no_stats_cover $((addr + 0x1000))'
check "resource0 is still a 512 KiB file" eval '[ "$(stat -c %s "$dev/resource0")" = 524288 ]'

# The MSI-X table (BAR0+0x8000, per the capability) traps: two dwords of
# entry 0 written, counted by the VMM, kept out of the device file.
boot_vmm "${PT[@]}" --stats --append "pci=list bar.write=00:01.0,0,0x8000,ABCDEFGH" "$GUEST"
addr=$(bar0_addr)
w=$(stats_writes "00:01.0 passthrough BAR0 (MSI-X table page)")
check "bar.write into the MSI-X table exits 0" eval 'rc_is 0 && has "^bar 00:01\.0 bar0\+0x8000: wrote 8 bytes$"'
check "the VMM counted the writes on '00:01.0 passthrough BAR0 (MSI-X table page)' (writes ${w:-none})" \
	eval '[ "${w:-0}" -gt 0 ] && has "^stats: +mmio 0x0*$(printf %x $((addr + 0x8000)))\+.* 00:01\.0 passthrough BAR0 \(MSI-X table page\) "'
check "they did not land in resource0" eval '[ "$(file_bytes "$dev/resource0" 0x8000 8)" = 0000000000000000 ]'

# --- Config writes are mediated ---------------------------------------------
# The guest rewrites the BARs, the ROM BAR, COMMAND (with bus mastering) and
# the vendor ID. None of it may reach the device - except COMMAND's I/O and
# memory enable bits (bits 0-1 of byte 4), which the mediation forwards so
# that the device decodes its BARs: those two bits are masked before the
# comparison. Bit 2, bus master, must stay off.
cfgw="cfg.write=00:01.0,0x04,2,0x0007 cfg.write=00:01.0,0x10,4,0xffffffff cfg.write=00:01.0,0x14,4,0xffffffff"
cfgw+=" cfg.write=00:01.0,0x18,4,0x12345678 cfg.write=00:01.0,0x30,4,0xffffffff cfg.write=00:01.0,0x00,2,0x1234"
cfgw+=" cfg.write=00:01.0,0x2c,2,0x5678 cfg.write=00:01.0,0x08,4,0"
same_but_decode() {
	python3 - "$TMP/config.orig" "$dev/config" <<-'EOF'
		import sys
		a, b = (bytearray(open(p, "rb").read()) for p in sys.argv[1:3])
		a[4] &= ~3
		b[4] &= ~3
		diff = [f"0x{i:x}: 0x{x:02x} -> 0x{y:02x}" for i, (x, y) in enumerate(zip(a, b)) if x != y]
		if len(a) != len(b) or diff:
		    print("config changed:", len(a), "->", len(b), "bytes;", ", ".join(diff[:8]))
		    sys.exit(1)
	EOF
}
boot_vmm "${PT[@]}" --append "pci=list $cfgw" "$GUEST"
check "the guest's config writes run (exit 0)" eval 'rc_is 0 && has "^cfg 00:01\.0 0x04: wrote 0x0007"'
check "the guest still reads its own IDs: vendor 1af4 after writing 0x1234" \
	has '^cfg 00:01\.0 0x00: wrote 0x1234 \(2 bytes\), reads back 0x1af4$'
check "without --unsafe-dma the device's config file is unchanged but for COMMAND's I/O and memory enables" \
	same_but_decode
check "bus mastering never reached the device (COMMAND bit 2 clear in the file)" \
	eval '[ $((0x$(file_bytes "$dev/config" 4 1) & 4)) = 0 ]'
boot_vmm "${PT[@]}" --unsafe-dma --append "pci=list cfg.write=00:01.0,0x04,2,0x0006" "$GUEST"
check "with --unsafe-dma the guest's bus-master bit reaches the device" \
	eval 'rc_is 0 && [ $((0x$(file_bytes "$dev/config" 4 1) & 4)) = 4 ]'
cp "$TMP/config.orig" "$dev/config"

# --- Refusals -----------------------------------------------------------------
refuse "a device that is not there" "no PCI device 0000:00:09\.0 under" \
	--passthrough 0000:00:09.0 --sysfs-root "$SYS"
fixture bound "$BLK_CFG" --driver virtio-pci >/dev/null
refuse "a device bound to a host driver" \
	"bound to the host driver 'virtio-pci': unbind it first .* or pass --force" \
	--passthrough 0000:00:02.0 --sysfs-root "$TMP/bound/sys/devices"
boot_vmm --passthrough 0000:00:02.0 --sysfs-root "$TMP/bound/sys/devices" --force --append "pci=list" "$GUEST"
check "--force passes the bound device through anyway" eval 'rc_is 0 && has "^pci 00:01\.0 1af4:1042 "'
cp "$BLK_CFG" "$TMP/bridge.bin"
poke "$TMP/bridge.bin" 0x0e 0x01
fixture bridge "$TMP/bridge.bin" --bdf 0000:00:02.0 >/dev/null
refuse "a PCI-to-PCI bridge (header type 1)" "header type 1: only type-0 endpoints" \
	--passthrough 0000:00:02.0 --sysfs-root "$TMP/bridge/sys/devices"
head -c 64 "$BLK_CFG" >"$TMP/short.bin"
fixture short "$TMP/short.bin" --bdf 0000:00:02.0 >/dev/null
refuse "a config file of 64 bytes (said as it is, not 'run as root')" \
	"config is 64 bytes: a config space is 256 or 4096 bytes" \
	--passthrough 0000:00:02.0 --sysfs-root "$TMP/short/sys/devices"
nores=$(fixture nores "$BLK_CFG")
rm -f "$nores/resource0"
refuse "a memory BAR without its resource0 file" "memory BAR 0 has no usable .*resource0" \
	--passthrough 0000:00:02.0 --sysfs-root "$TMP/nores/sys/devices"

# A device with three BARs, as many real ones have: 64-bit memory (BAR0,
# whose upper half is BAR1), 32-bit memory (BAR2) and I/O ports (BAR4).
multi=$(fixture multi "$BLK_CFG")
printf '%s\n' '0x0000004000000000 0x000000400000ffff 0x0000000000140204' \
	'0x0000000000000000 0x0000000000000000 0x0000000000000000' \
	'0x00000000fe000000 0x00000000fe001fff 0x0000000000040200' \
	'0x0000000000000000 0x0000000000000000 0x0000000000000000' \
	'0x000000000000c000 0x000000000000c03f 0x0000000000040101' \
	'0x0000000000000000 0x0000000000000000 0x0000000000000000' >"$multi/resource"
truncate -s 64K "$multi/resource0"
truncate -s 8K "$multi/resource2"
truncate -s 64 "$multi/resource4"
boot_vmm --stats --passthrough 0000:00:02.0 --sysfs-root "$TMP/multi/sys/devices" \
	--append "pci=list bar.write=00:01.0,2,0x10,two bar.write=00:01.0,4,0x4,io" "$GUEST"
check "three BARs: the guest sizes mem64, mem32 and I/O as the host has them" \
	eval 'rc_is 0 && has "^pci 00:01\.0 bar0=mem64:0x[0-9a-f]+/0x10000" && has "^pci 00:01\.0 bar2=mem32:0x[0-9a-f]+/0x2000" && has "^pci 00:01\.0 bar4=io:0x[0-9a-f]+/0x40"'
check "a store to BAR2 lands in resource2" test "$(file_bytes "$multi/resource2" 16 3)" = "$(hex_of two)"
check "...with no exit: BAR2 is mapped, not trapped" has '^stats: passthrough 0000:00:02\.0 at 00:01\.0 BAR2: 8 KiB at 0x[0-9a-f]+, 8 KiB mapped \(no exits\), 0 KiB trapped$'
check "an I/O BAR is trapped and forwarded: the bytes are in resource4" \
	eval 'test "$(file_bytes "$multi/resource4" 4 2)" = "$(hex_of io)" && has "^stats: +pio .*00:01\.0 passthrough BAR4 \(trapped\) +reads +[0-9]+ writes +[1-9]"'
