#!/usr/bin/env bash
# ptdev-qemu.t - the guest's raw device actions (guest/ptdev.c: bar.read=,
# bar.write=, cfg.write=) against QEMU devices under TCG, so that they are
# known to work before the passthrough tests use them on the exitlab VMM.
# QEMU's edu device (hw/misc/edu.c) is the reference: BAR0+0x00 reads the
# ID 0x010000ed, BAR0+0x04 returns the bitwise inverse of what was written,
# and both answer dword accesses only. Also: pci-testdev's I/O BAR, a
# writable config register (interrupt line) and a read-only one (vendor ID),
# and every refusal of a malformed or impossible request.
source "$(dirname "$0")/lib/tap.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
plan 13

# q35: edu is the first device QEMU adds after the host bridge, at 00:01.0.
acts="bar.read=00:01.0,0,0,4 bar.write=00:01.0,0,0x04,abcd bar.read=00:01.0,0,4,4"
acts+=" cfg.write=00:01.0,0x3c,1,0x0b cfg.write=00:01.0,0,2,0xffff"
boot_qemu tcg --append "$acts" -- -device edu
check "edu: the actions exit 0" rc_is 0
check "edu: BAR0+0 reads the ID 0x010000ed (little-endian bytes)" has '^bar 00:01\.0 bar0\+0x0: ed000001$'
check "edu: bar.write reports its 4 bytes" has '^bar 00:01\.0 bar0\+0x4: wrote 4 bytes$'
check "edu: BAR0+4 reads back the inverse of 'abcd' (0x64636261 -> 0x9b9c9d9e)" has '^bar 00:01\.0 bar0\+0x4: 9e9d9c9b$'
check "cfg.write: the interrupt line is writable" has '^cfg 00:01\.0 0x3c: wrote 0x0b \(1 bytes\), reads back 0x0b$'
check "cfg.write: the vendor ID is not" has '^cfg 00:01\.0 0x00: wrote 0xffff \(2 bytes\), reads back 0x1234$'

# pci-testdev's BAR1 is I/O: a write selects a test, +1 then reads its width.
boot_qemu tcg --append "bar.write=00:01.0,1,0,x bar.read=00:01.0,1,0,4" -- -device pci-testdev
check "pci-testdev: bar.read/bar.write through an I/O BAR" \
	eval 'rc_is 0 && has "^bar 00:01\.0 bar1\+0x0: wrote 1 bytes$" && has "^bar 00:01\.0 bar1\+0x0: [0-9a-f]{8}$"'

bad=0
for a in bar.read=00:01.0,0,0,0 bar.read=00:01.0,0,0,257 bar.read=00:01.0,6,0,4 bar.read=00:20.0,0,0,4 \
	bar.read=00:01.8,0,0,4 bar.read=00:01.0,0,0 bar.read=00:01.0,,0,4 bar.write=00:01.0,0,0, \
	cfg.write=00:01.0,0x3d,2,1 cfg.write=00:01.0,0x3c,1,0x100 cfg.write=00:01.0,0x3c,3,1 \
	cfg.write=00:01.0,0x1000,1,1 cfg.write=1:2:3,0,1,1 bar.read=0001:00:01.0,0,0,4 \
	bar.read=000:01.0,0,0,4 cfg.write=00:01.0x,0x3c,1,1; do
	boot_qemu tcg --append "$a exit=9" -- -device edu
	if [ "$rc" != 2 ] || ! has "^error: ${a%%=*}: " >/dev/null; then
		diag "$a: exit $rc"
		bad=$((bad + 1))
	fi
done
check "malformed values are refused before anything runs (exit 2, 'error: ACTION: ...')" test "$bad" = 0
boot_qemu tcg --append "cfg.write=0000:00:01.0,0x3c,1,0x0c" -- -device edu
check "cfg.write: a function named with its domain, as lspci -D prints it (segment 0)" \
	eval 'rc_is 0 && has "^cfg 00:01\.0 0x3c: wrote 0x0c \(1 bytes\), reads back 0x0c$"'
boot_qemu tcg --append "bar.read=00:05.0,0,0,4" -- -device edu
check "a function that is not there: exit 1" eval 'rc_is 1 && has "^error: bar.read: no PCI function 00:05\.0 on the bus$"'
boot_qemu tcg --append "bar.read=00:01.0,1,0,4" -- -device edu
check "a BAR the function does not implement: exit 1" eval 'rc_is 1 && has "^error: bar.read: 00:01\.0 BAR1 is not implemented$"'
boot_qemu tcg --append "bar.read=00:01.0,0,0xffffd,4 bar.read=00:01.0,0,0xffffc,4" -- -device edu
check "beyond the end of the 1 MiB BAR: exit 1" eval 'rc_is 1 && has "^error: bar.read: 0x4 bytes at offset 0xffffd do not fit in 00:01\.0 BAR0 \(0x100000 bytes\)$"'
boot_qemu tcg --append "bar.read=00:01.0,0,0xffffc,4" -- -device edu
check "the last dword of the BAR is readable" eval 'rc_is 0 && has "^bar 00:01\.0 bar0\+0xffffc: [0-9a-f]{8}$"'
