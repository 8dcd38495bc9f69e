#!/usr/bin/env bash
# tools-cli.t - every program and script answers --help (exit 0, a usage
# text on stdout, nothing on stderr) and --version (exit 0, one line
# "exitlab NAME VERSION", VERSION being vmm/vmm.h's VMM_VERSION, the one
# source of the version), and refuses an unknown option with a non-zero
# exit and one line on stderr naming it. Nothing here needs /dev/kvm.
source "$(dirname "$0")/lib/tap.sh"

VERSION=$(sed -n 's/^#define VMM_VERSION "\(.*\)"$/\1/p' "$ROOT/vmm/vmm.h")
[ -n "$VERSION" ] || { echo "Bail out! no VMM_VERSION in vmm/vmm.h"; exit 1; }

# PROGRAM and the arguments an otherwise valid call needs (so that the
# unknown option, not a missing argument, is what is refused).
PROGS=(
	"build/vmm|build/guest.elf"
	"build/pciinfo|build/guest.elf"
	"build/bare-vm|"
	"build/floor|"
	"scripts/run-qemu|build/guest.elf"
	"scripts/bench|"
	"scripts/bench-doc|x.json"
	"scripts/anatomy|-- true"
	"scripts/mkfixture|a b c"
	"scripts/ensure-deps|"
	"scripts/without-kvm|true"
)
plan $((${#PROGS[@]} * 3))

# run ARGS...: $rc, $stdout, $stderr.
run() {
	timeout 30 "$@" >"$TMP/o" 2>"$TMP/e"
	rc=$?
	stdout=$(cat "$TMP/o") stderr=$(cat "$TMP/e")
	out="stdout: $stdout"$'\n'"stderr: $stderr"
}
help_ok() {
	rc_is 0 && [ -z "$stderr" ] && grep -q '^usage: ' <<<"$stdout" || { diag "no usage: line on stdout, or stderr not empty"; return 1; }
}
version_ok() {
	rc_is 0 && [ -z "$stderr" ] && [ "$stdout" = "exitlab $1 $VERSION" ] || { diag "expected exactly 'exitlab $1 $VERSION'"; return 1; }
}
refuses_ok() {
	[ "$rc" != 0 ] && [ -z "$stdout" ] || { diag "exit $rc (want non-zero) or stdout not empty"; return 1; }
	# One line naming it, and at most a second that says where help is.
	local n
	n=$(grep -c . <<<"$stderr")
	[ "$n" = 1 ] || { [ "$n" = 2 ] && sed -n 2p <<<"$stderr" | grep -q -- "--help"; } ||
		{ diag "stderr is not one line (and a --help hint)"; return 1; }
	head -n 1 <<<"$stderr" | grep -q -- '--no-such-option' || { diag "stderr's first line does not name --no-such-option"; return 1; }
}

for entry in "${PROGS[@]}"; do
	prog=${entry%%|*} args=${entry#*|}
	name=${prog##*/}
	run "$ROOT/$prog" --help
	check "$prog --help: exit 0, usage on stdout" help_ok
	run "$ROOT/$prog" --version
	check "$prog --version: exitlab $name $VERSION" version_ok "$name"
	# shellcheck disable=SC2086 # args are words
	run "$ROOT/$prog" --no-such-option $args
	check "$prog --no-such-option: non-zero, one line naming it" refuses_ok
done
