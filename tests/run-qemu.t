#!/usr/bin/env bash
# run-qemu.t - scripts/run-qemu itself: its options are checked, the image is
# checked (regular file, ELF64, PVH note) before QEMU starts, every failure
# of QEMU or of the wrapper is 125, and only QEMU's own (status << 1) | 1 is
# decoded as the guest's status. Boots use TCG; a fake QEMU (QEMU=...)
# stands in for a QEMU that crashes or exits oddly. Every call is bounded by
# timeout(1), so a wrapper that hangs fails its check instead of the suite.
source "$(dirname "$0")/lib/tap.sh"
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"
plan 32

RQ=$ROOT/scripts/run-qemu
# rq ARGS...: run-qemu with a 60 s bound; $rc, $out (stdout+stderr), $err (stderr).
rq() {
	out=$(timeout --kill-after=5 60 "$RQ" "$@" 2>"$TMP/err")
	rc=$?
	err=$(cat "$TMP/err")
	out=$out$'\n'$err
}
# One line on stderr, from run-qemu, matching $1; QEMU never said a word.
refused() {
	local lines
	lines=$(grep -c . <<<"$err")
	[ "$lines" = 1 ] || { diag "stderr has $lines lines, expected 1"; return 1; }
	grep -qE -- "^run-qemu: .*$1" <<<"$err" || { diag "stderr does not match /^run-qemu: .*$1/"; return 1; }
}
no_qemu_said() { lacks '^qemu(-system-x86_64)?: '; }

# --- the image, before QEMU -------------------------------------------------
rq --accel tcg /tmp
check "a directory is refused: 125" rc_is 125
check "... saying it is not a regular file, before QEMU runs" eval 'refused "not a regular file" && no_qemu_said'

rq --accel tcg "$TMP/no-such.elf"
check "a missing image is refused: 125, named" eval 'rc_is 125 && refused "no-such.elf"'

truncate -s 1M "$TMP/disk.img"
rq --accel tcg "$TMP/disk.img"
check "a disk image (not an ELF) is refused at once: 125" rc_is 125
check "... saying it is not an ELF" eval 'refused "not an ELF"'

rq --accel tcg "$ROOT/build/vmm"
check "an ELF64 without a PVH note (build/vmm) is refused: 125" rc_is 125
check "... saying the PVH note is missing" eval 'refused "PVH"'

head -c 64 "$GUEST" >"$TMP/short.elf"
rq --accel tcg "$TMP/short.elf"
check "a truncated guest.elf (its ELF header only) is refused: 125" eval 'rc_is 125 && refused "."'

printf '\177ELF\001\001\001\000' | dd of="$TMP/elf32" bs=1 conv=notrunc 2>/dev/null
truncate -s 4096 "$TMP/elf32"
rq --accel tcg "$TMP/elf32"
check "a 32-bit ELF is refused: 125, saying ELF64" eval 'rc_is 125 && refused "ELF64"'

# --- options ----------------------------------------------------------------
for t in abc 0 -5 1.5 ""; do
	rq --accel tcg --timeout "$t" "$GUEST"
	check "--timeout '$t' is refused: 125, naming --timeout" eval 'rc_is 125 && refused "--timeout"'
done
rq --accel foo "$GUEST"
check "--accel foo is refused: 125" eval 'rc_is 125 && refused "--accel"'
rq --accel tcg --mem lots "$GUEST"
check "--mem lots is refused by run-qemu, not QEMU: 125" eval 'rc_is 125 && refused "--mem" && no_qemu_said'
rq --accel tcg --mem 0 "$GUEST"
check "--mem 0 is refused: 125" eval 'rc_is 125 && refused "--mem"'
rq --accel tcg --no-such-option "$GUEST"
check "an unknown option: 125, one line naming it" eval "rc_is 125 && refused 'no-such-option'"
rq --accel tcg "$GUEST" "$GUEST"
check "two images: 125" eval 'rc_is 125 && refused "IMAGE"'

rq --help
check "--help says the default timeout is 300 s" eval 'rc_is 0 && has "--timeout.*default 300"'
rq --accel tcg --dry-run "$GUEST"
check "--dry-run: the QEMU command line, with the default timeout of 300 s" \
	eval 'rc_is 0 && has "qemu-system-x86_64 .*-kernel .*guest\.elf" && has "timeout 300 s"'

# --- what QEMU did ----------------------------------------------------------
rq --accel tcg --append "exit=0" "$GUEST"
check "guest status 0 is 0" rc_is 0
rq --accel tcg --append "exit=68" "$GUEST"
check "guest status 68 (QEMU exit 137, as SIGKILL) is 68, not a timeout" rc_is 68
rq --accel tcg --append "exit=123" "$GUEST"
check "guest status 123 (QEMU exit 247) is 123" rc_is 123
rq --accel tcg --timeout 2 --append "wait" "$GUEST"
check "--timeout 2 on a waiting guest: 124" eval 'rc_is 124 && has "timed out after 2 s"'
rq --accel tcg "$GUEST" -- -initrd "$TMP/no-such-initrd"
check "QEMU's own error (qemu: could not load initial ram disk) is 125, not status 0" rc_is 125
rq --accel tcg "$GUEST" -- -device no-such-device
check "QEMU's own error (qemu-system-x86_64: -device ...) is 125" rc_is 125

# A fake QEMU: $1 says what it does.
fake() {
	printf '#!/bin/sh\n%s\n' "$1" >"$TMP/fake-qemu"
	chmod +x "$TMP/fake-qemu"
	out=$(QEMU=$TMP/fake-qemu timeout --kill-after=5 60 "$RQ" --accel tcg "$GUEST" 2>&1)
	rc=$?
}
fake 'kill -SEGV $$'
check "QEMU killed by SIGSEGV (shell status 139) is 125, not guest status 69" eval 'rc_is 125 && has "signal"'
fake 'kill -s RTMIN+6 $$'
check "QEMU killed by a real-time signal (no name in Python) is 125, said, no traceback" \
	eval 'rc_is 125 && has "killed by signal [0-9]+ \(unnamed\)" && lacks Traceback'
fake 'exit 2'
check "QEMU exiting 2 (even, not 0) is 125" rc_is 125
fake 'exit 0'
check "QEMU exiting 0 (the guest shut down or reset, no exit port) is 126" rc_is 126

if kvm_usable; then
	skip "/dev/kvm is usable here: --accel kvm without KVM is checked where it is hidden (make test-nokvm)"
else
	rq --accel kvm "$GUEST"
	check "--accel kvm without a usable /dev/kvm: 125, saying so, before QEMU" eval 'rc_is 125 && refused "/dev/kvm" && no_qemu_said'
fi
