# tap.sh - a few TAP helpers for the shell tests (sourced, not run).
#
# Every test prints its plan first, then one line per check; a check is a
# command that must succeed. boot_vmm/boot_qemu run a guest with a timeout
# and leave its exit code in $rc and its output (stdout+stderr) in $out.
# A test that needs something absent (e.g. /dev/kvm) skips saying why.

cd "$(dirname "$0")/.." || exit 1
ROOT=$PWD
VMM=$ROOT/build/vmm
GUEST=$ROOT/build/guest.elf
BOOT_TIMEOUT=${BOOT_TIMEOUT:-60}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
_n=0

plan() { echo "1..$1"; }
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
diag() { sed 's/^/# /' <<<"$*"; }

# check DESCRIPTION COMMAND...: ok if COMMAND succeeds; on failure show the
# last output so the reader sees why.
check() {
	local desc=$1
	shift
	_n=$((_n + 1))
	if "$@"; then
		echo "ok $_n - $desc"
	else
		echo "not ok $_n - $desc"
		diag "failed: $*"
		[ -n "${out:-}" ] && diag "$(tail -n 15 <<<"$out")"
	fi
}
skip() { _n=$((_n + 1)); echo "ok $_n # SKIP $1"; }

# Helpers for check.
rc_is() { [ "$rc" = "$1" ] || { diag "exit code $rc, expected $1"; return 1; }; }
has() { grep -qE -- "$1" <<<"$out" || { diag "no line matches /$1/"; return 1; }; }
lacks() { ! grep -qE -- "$1" <<<"$out" || { diag "unexpected line matches /$1/"; return 1; }; }

kvm_usable() { [ -r /dev/kvm ] && [ -w /dev/kvm ]; }

boot_vmm() {
	out=$(timeout --kill-after=5 "$BOOT_TIMEOUT" "$VMM" "$@" 2>&1)
	rc=$?
}

# boot_qemu ACCEL [run-qemu options...] [-- QEMU args...] (the image is ours)
boot_qemu() {
	local accel=$1
	shift
	out=$("$ROOT/scripts/run-qemu" --accel "$accel" --timeout "$BOOT_TIMEOUT" "$GUEST" "$@" 2>&1)
	rc=$?
}

# The guest's memory map from its banner: the sum of RAM entries in bytes.
guest_ram_bytes() {
	local sum=0 size
	for size in $(sed -nE 's/^memmap: [0-9]+ base=0x[0-9a-f]+ end=0x[0-9a-f]+ size=(0x[0-9a-f]+) ram$/\1/p' <<<"$out"); do
		sum=$((sum + size))
	done
	echo "$sum"
}
