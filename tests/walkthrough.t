#!/usr/bin/env bash
# walkthrough.t - docs/walkthrough.md cannot go stale: every command it
# shows (an indented line starting with "$ ") runs here, from the top of
# the tree, and every output line it quotes under that command must appear
# in what the command printed, numbers aside: in a quoted line, each number
# (decimal, hex, with a fraction) stands for any number, since timings and
# addresses differ between machines and runs. A quoted line ending in
# " ..." matches any line that starts with what comes before. Commands
# that need /dev/kvm, perf or QEMU are skipped, saying so, where those are
# missing; the doc's own setup commands (truncate, a fixture) run too.
source "$(dirname "$0")/lib/tap.sh"
DOC=$ROOT/docs/walkthrough.md
[ -f "$DOC" ] || { echo "Bail out! $DOC is missing"; exit 1; }

# The blocks: "CMD<TAB>line|line|..." one per command, from the doc.
blocks=$(python3 - "$DOC" <<'PY'
import sys
cmd, quoted, out = None, [], []
for raw in open(sys.argv[1]).read().splitlines() + [""]:
    if raw.startswith("    $ "):
        if cmd is not None:
            out.append((cmd, quoted))
        cmd, quoted = raw[6:], []
    elif raw.startswith("        ") and cmd is not None and cmd.endswith("\\"):
        cmd = cmd[:-1] + " " + raw.strip()
    elif raw.startswith("    ") and cmd is not None:
        quoted.append(raw[4:])
    else:
        if cmd is not None:
            out.append((cmd, quoted))
        cmd, quoted = None, []
for c, q in out:
    print(c.replace("\t", " ") + "\t" + "\x1f".join(q))
PY
)
n=$(grep -c . <<<"$blocks")
plan "$n"

needs() { # the command's requirement, or empty
	case $1 in
	*strace*) command -v strace >/dev/null && kvm_usable || echo "strace and /dev/kvm" ;;
	*scripts/anatomy*) command -v perf >/dev/null && kvm_usable || echo "perf and /dev/kvm" ;;
	*build/vmm* | *build/floor* | *build/bare-vm*) kvm_usable || echo "/dev/kvm" ;;
	*resource0*) kvm_usable || echo "/dev/kvm (it reads what the VMM run before it wrote)" ;;
	*run-qemu*) command -v qemu-system-x86_64 >/dev/null || echo "QEMU" ;;
	esac
}

cd "$TMP" || exit 1
ln -sf "$ROOT/build" build
ln -sf "$ROOT/scripts" scripts
ln -sf "$ROOT/tools" tools
ln -sf "$ROOT/tests" tests
while IFS=$'\t' read -r cmd quoted; do
	need=$(needs "$cmd")
	if [ -n "$need" ]; then
		skip "$cmd: needs $need"
		continue
	fi
	out=$(timeout 300 bash -c "$cmd" 2>&1)
	# Each quoted line must match some output line, numbers as wildcards.
	missing=$(QUOTED="$quoted" OUT="$out" python3 -c '
import os, re
num = r"(0x[0-9a-f]+|-?[0-9]+(\.[0-9]+)?)"
def pat(line):
    prefix = line.endswith(" ...")
    if prefix:
        line = line[:-4]
    parts = re.split(r"(0x[0-9a-f]+|-?[0-9]+(?:\.[0-9]+)?)", line)
    rx = "".join(num if i % 2 else re.escape(p) for i, p in enumerate(parts))
    rx = re.sub(r"(\\ )+", r" +", rx)
    return re.compile("^" + rx + ("" if prefix else "$"))
got = os.environ["OUT"].splitlines()
for q in filter(None, os.environ["QUOTED"].split("\x1f")):
    if not any(pat(q).match(g.rstrip()) for g in got):
        print(q)
')
	if [ -z "$missing" ]; then
		check "$cmd" true
	else
		diag "not in the output: $missing"
		diag "output: $(head -c 3000 <<<"$out")"
		check "$cmd" false
	fi
done <<<"$blocks"
