#!/usr/bin/env bash
# anatomy.t - scripts/anatomy merges the kernel's kvm:* events (perf, on
# CLOCK_MONOTONIC), the VMM's event log and the guest's markers into one
# timeline: a port write shows, in order, the kernel's kvm_pio with the
# value, KVM's return to userspace, the VMM's exit and the handler that
# served it, the re-entry; --cut keeps one action; --json is trace-event
# JSON with the fields Perfetto needs; --breakdown times each hop; under
# QEMU the markers come from the kernel's kvm_pio at the marker port.
# Without perf, root or the tracepoints the kernel-side checks skip, and
# the VMM-side ones still run.
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "no usable /dev/kvm: anatomy follows KVM exits"
plan 9

A=$ROOT/scripts/anatomy
ACT="port.write=0x3ff,1,0x5a"
perf_ok=1
why=""
if ! command -v perf >/dev/null; then perf_ok=0 why="perf is not installed (linux-perf)"
elif ! perf list --no-desc tracepoint 2>/dev/null | grep -q "kvm:kvm_pio"; then perf_ok=0 why="no kvm:kvm_pio tracepoint (root and tracefs needed)"
fi

out=$(timeout 120 "$A" --cut "$ACT" --json "$TMP/t.json" -- "$VMM" --append "$ACT exit=0" "$GUEST" 2>&1); rc=$?
check "anatomy of the exitlab VMM: exit 0, the cut starts and ends at the action's markers" \
	eval 'rc_is 0 && grep -E "^ +[0-9.]+ +[0-9.]+  " <<<"$out" | head -1 | grep -q "guest .* marker begin $ACT$" && grep -E "^ +[0-9.]+ +[0-9.]+  " <<<"$out" | tail -1 | grep -q "marker end $ACT rc=0$"'
seq=$(grep -E "^ +[0-9.]+ +[0-9.]+  " <<<"$out" | sed -E 's/^ +[0-9.]+ +[0-9.]+  //' | tr -s ' ' | tr '\n' '|')
check "the VMM's half: the OUT's exit, then COM1 serving 0x5a, then the re-entry" \
	eval 'grep -qE "vmm vcpu exit: KVM_EXIT_IO\|vmm vcpu io: pio write 0x3ff size 1 <- 0x5a \(COM1[^|]*\)\|vmm vcpu exit: enter\|" <<<"$seq"'
if [ $perf_ok = 1 ]; then
	check "the kernel's half before it: kvm_pio at 0x3ff with 0x5a, then KVM's return to userspace" \
		eval 'grep -qE "kvm [0-9]+ kvm_pio: pio_write at 0x3ff size 1 count 1 val 0x5a\|kvm [0-9]+ kvm_userspace_exit: reason KVM_EXIT_IO \(2\)\|vmm vcpu exit: KVM_EXIT_IO\|" <<<"$seq"'
else
	skip "kernel events: $why"
fi
check "--json: trace-event JSON, every event with name, ph, ts, pid and tid, a track named per layer" \
	python3 -c "
import json,sys
d=json.load(open('$TMP/t.json'))['traceEvents']
assert d and all(all(k in e for k in ('name','ph','pid','tid')) for e in d)
assert all('ts' in e for e in d if e['ph']!='M')
names={e['args']['name'] for e in d if e['name']=='process_name'}
assert {'guest','kvm','vmm','iothread'}<=names, names"

out=$(timeout 120 "$A" --no-perf --cut "$ACT" -- "$VMM" --append "$ACT exit=0" "$GUEST" 2>&1); rc=$?
check "--no-perf: the VMM's half alone, and no kernel lines" \
	eval 'rc_is 0 && has "vmm +vcpu +io: pio write 0x3ff size 1 <- 0x5a" && lacks " kvm_pio: "'

out=$(timeout 120 "$A" --cut no-such-mark -- "$VMM" --append "exit=0" "$GUEST" 2>&1); rc=$?
check "--cut of a marker the guest never set: 125, saying what markers are" eval 'rc_is 125 && has "no guest marker .no-such-mark."'

if [ $perf_ok = 1 ]; then
	out=$(timeout 300 "$A" --breakdown -- "$VMM" --append "bench.samples=3 bench=pio_write" "$GUEST" 2>&1); rc=$?
	check "--breakdown: a row for the 2048 COM1 writes with each hop timed" \
		eval 'rc_is 0 && has "^pio write X size 1 <- X \(COM1 16550 UART\) +20[45][0-9] +[0-9]+/[0-9]+ +[0-9]+/[0-9]+ +[0-9]+/[0-9]+ +[0-9]+/[0-9]+"'
	if command -v qemu-system-x86_64 >/dev/null; then
		out=$(timeout 300 "$A" --cut "#1" -- "$ROOT/scripts/run-qemu" --accel kvm --append "mark=one exit=0" "$GUEST" 2>&1); rc=$?
		check "under QEMU: exit 0, no VMM log, said so" eval 'rc_is 0 && has "not the exitlab VMM"'
		check "... the guest's markers come from kvm_pio at the marker port" has "kvm_pio: guest marker #[0-9]+ \(record at 0x"
	else
		skip "qemu-system-x86_64 is not installed"; skip "qemu-system-x86_64 is not installed"
	fi
else
	for i in 1 2 3; do skip "kernel events: $why"; done
fi
