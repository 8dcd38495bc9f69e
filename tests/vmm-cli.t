#!/usr/bin/env bash
# vmm-cli.t - build/vmm's command line and its refusals of bad images. The
# image is checked before KVM is opened, so none of this needs /dev/kvm.
# Broken images are made from the real guest by tests/lib/mutate_elf.py.
source "$(dirname "$0")/lib/tap.sh"
plan 57

run() { out=$("$VMM" "$@" 2>&1); rc=$?; }

# Linked static-pie (Makefile): no dynamic loader at start, no shared libc
# mapped (the dynamic VMM's peak RSS was over 2 MiB, most of it libc.so).
check "build/vmm needs no dynamic loader and keeps ASLR (static-pie)" \
	eval '! readelf -lW "$VMM" | grep -q INTERP && readelf -hW "$VMM" | grep -q "Type: *DYN"'

run --help
check "--help exits 0 and shows usage" eval 'rc_is 0 && has "^usage: vmm \[options\] IMAGE" && has "--append CMDLINE"'
run --version
check "--version" eval 'rc_is 0 && has "^exitlab vmm [0-9]+\.[0-9]+"'
run
check "no image: 125 with usage" eval 'rc_is 125 && has "no IMAGE given"'
run --frob "$GUEST"
check "unknown option: 125" eval 'rc_is 125 && has "unrecognized option"'
run --mem 1M "$GUEST"
check "--mem too small: says the range" eval 'rc_is 125 && has "--mem 1 MiB: must be from 4 MiB to 2048 MiB"'
run --mem 3G "$GUEST"
check "--mem too large: says the range" eval 'rc_is 125 && has "--mem 3072 MiB: must be from"'
run --mem lots "$GUEST"
check "--mem not a size" eval "rc_is 125 && has \"--mem 'lots': not a size\""
run --timeout 0 "$GUEST"
check "--timeout 0 refused" eval 'rc_is 125 && has "--timeout .0.: give whole seconds"'
run "$TMP/does-not-exist.elf"
check "missing image file: says so" eval 'rc_is 125 && has "cannot open image .*does-not-exist.elf.: No such file"'
run --append "$(head -c 9000 /dev/zero | tr '\0' x)" "$GUEST"
check "over-long command line refused" eval 'rc_is 125 && has "command line is 9000 bytes; at most 8191 fit"'

# --pci-raw FILE: 256 or 4096 bytes, checked before KVM is opened.
run --help
check "--help describes --pci-raw and bar0=" \
	eval "has '^      --pci-raw FILE\\[,bar0=REGS\\]  a PCI function whose config space is' && has 'bar0=REGS: BAR0'"
printf 'abc' >"$TMP/short.bin"
run --pci-raw "$TMP/short.bin" "$GUEST"
check "--pci-raw refuses a 3-byte file, naming it and its size" \
	eval 'rc_is 125 && has "^vmm: --pci-raw .*/short\.bin: 3 bytes; a config space is 256 or 4096 bytes$"'
head -c 4097 /dev/zero >"$TMP/long.bin"
run --pci-raw "$TMP/long.bin" "$GUEST"
check "--pci-raw refuses 4097 bytes" eval 'rc_is 125 && has "/long\.bin: 4097 bytes; a config space is 256 or 4096"'
run --pci-raw "$TMP/none.bin" "$GUEST"
check "--pci-raw refuses a missing file" eval 'rc_is 125 && has "^vmm: --pci-raw .*/none\.bin: cannot open: No such file"'

# --pci-raw FILE,bar0=REGS: REGS a power of two of 16 bytes to 16 MiB,
# FILE's BAR0 a memory BAR; all checked before KVM too.
python3 - "$TMP" <<'PY'
import struct, sys
for name, bar0 in (("mem.bin", 0xc000000c), ("io.bin", 0xc001), ("rsvd.bin", 0xc0000006)):
    c = bytearray(256)
    struct.pack_into("<HHI", c, 0, 0x1af4, 0x1042, 0)
    struct.pack_into("<I", c, 0x10, bar0)
    open(f"{sys.argv[1]}/{name}", "wb").write(c)
PY
head -c 4096 /dev/zero >"$TMP/regs"
head -c 100 /dev/zero >"$TMP/regs100"
bar0_refused() { # VALUE WHAT PATTERN: --pci-raw VALUE is refused before KVM (125), saying PATTERN
	local pat=$3
	run --pci-raw "$1" "$GUEST"
	check "$2" eval 'rc_is 125 && has "$pat"'
}
bar0_refused "$TMP/mem.bin,bar0=" "bar0= with no file: says what it wants" 'bar0= wants a register file \(FILE,bar0=REGS\)'
bar0_refused "$TMP/mem.bin,bar0=$TMP/regs100" "bar0= refuses a 100-byte register file, saying the sizes it takes" \
	'^vmm: bar0=.*/regs100: 100 bytes; the file.s size is BAR0.s, a power of two from 16 bytes to 16 MiB$'
bar0_refused "$TMP/mem.bin,bar0=$TMP/none" "bar0= refuses a missing register file" '^vmm: bar0=.*/none: cannot open: No such file'
bar0_refused "$TMP/mem.bin,bar0=$TMP/regs,bar0=$TMP/regs" "bar0= given twice: refused, saying so" \
	'bar0= given twice; give one register file'
bar0_refused "$TMP/mem.bin@00:05.0,bar0=$TMP/regs" "a place before bar0= (@): refused, showing where it goes" \
	'put the place after the register file: FILE,bar0=REGS@BB:DD\.F or FILE,bar0=REGS,addr=BB:DD\.F$'
bar0_refused "$TMP/mem.bin,addr=00:05.0,bar0=$TMP/regs" "... and (,addr=) the same" 'put the place after the register file'
bar0_refused "$TMP/io.bin,bar0=$TMP/regs" "bar0= refuses a config whose BAR0 is an I/O BAR" \
	'^vmm: bar0=.*/regs: the config file.s BAR0 is an I/O BAR \(0x0000c001\); bar0= backs a memory BAR$'
bar0_refused "$TMP/rsvd.bin,bar0=$TMP/regs" "bar0= refuses a BAR0 of a reserved memory type" 'BAR0 \(0xc0000006\) has a reserved memory type'

python3 "$ROOT/tests/lib/mutate_elf.py" "$GUEST" "$TMP" || echo "Bail out! mutate_elf.py failed"
refuse() { # NAME PATTERN (bounded: an image wrongly accepted would boot)
	pat=$2
	out=$(timeout --kill-after=5 "$BOOT_TIMEOUT" "$VMM" --timeout 10 --append exit=0 "$TMP/$1" 2>&1)
	rc=$?
	check "refuses $1: $2" eval 'rc_is 125 && has "$pat"'
	check "refusal of $1 is a message, not a crash" lacks 'Segmentation|Aborted|core dumped|sanitizer'
}
refuse empty "the image is empty \(0 bytes\)"
refuse not-elf "not an ELF file"
refuse elf32 "wrong ELF class ELF32: exitlab needs ELF64"
refuse big-endian "not a little-endian ELF"
refuse ident-version-0 "ELF identification version 0 \(EI_VERSION\) is not EV_CURRENT \(1\)"
refuse e-version-2 "ELF header version 2 \(e_version\) is not EV_CURRENT \(1\)"
refuse wrong-machine "wrong machine 183: exitlab needs x86-64"
refuse truncated-header "truncated ELF header: 40 of 64 bytes"
refuse truncated-phdrs "truncated program headers"
refuse truncated-segment "truncated segment [0-9]+: file bytes"
refuse no-pvh-note "no PVH entry note"
refuse outside-ram "segment [0-9]+ at \[0x7ff00000, .* is outside guest RAM"
refuse overlaps-boot-info "segment [0-9]+ at \[0x2000, .* overlaps the boot information"
refuse no-load-segments "no loadable \(PT_LOAD\) segments"
refuse overlapping-segments "segments [0-9]+ at \[0x[0-9a-f]+, 0x[0-9a-f]+\) and [0-9]+ at \[0x101000, .* overlap in guest memory"
refuse entry-not-executable "PVH entry 0x[0-9a-f]+ is in segment [0-9]+ at .* which is not executable \(no PF_X\)"
refuse entry-in-bss "PVH entry 0x[0-9a-f]+ is in the BSS of segment [0-9]+"
