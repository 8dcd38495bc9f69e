#!/usr/bin/env bash
# anatomy.t - scripts/anatomy merges the kernel's kvm:* events (perf, on
# CLOCK_MONOTONIC), the VMM's event log and the guest's markers into one
# timeline: a port write shows, in order, the kernel's kvm_pio with the
# value, KVM's return to userspace, the VMM's exit and the handler that
# served it, the re-entry; --cut keeps one action; --json is trace-event
# JSON with the fields Perfetto needs; --breakdown times each hop; under
# QEMU the markers come from the kernel's kvm_pio at the marker port.
# A notify with an ioeventfd is the kernel's MMIO event at the notify
# address (computed here from --dump-pci's capabilities) with no
# userspace exit, then the I/O thread's events and the irqfd; without
# one, a userspace exit served on the vCPU thread. A config read through
# 0xCF8/0xCFC is two PIO exits for one register, through ECAM one MMIO
# exit; a passthrough BAR store makes no event, an MSI-X table store one
# trapped exit, decoded (tests/lib/anatomy_check.py).
# Without perf, root or the tracepoints the kernel-side checks skip, and
# the VMM-side ones still run.
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "no usable /dev/kvm: anatomy follows KVM exits"
plan 20

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

# The notify's journey. The address: from the capabilities the VMM left
# in config space (--dump-pci) and queue 0's queue_notify_off (0).
C=$ROOT/tests/lib/anatomy_check.py
kflag=$perf_ok
[ $perf_ok = 1 ] || kflag=0
truncate -s 64K "$TMP/disk.img"
NACT="irq=msix virtio=list blk.read=0"
out=$(timeout 120 "$A" --limit 0 --cut blk.read=0 -- "$VMM" --dump-pci "$TMP/pci.txt" --disk "$TMP/disk.img" --append "$NACT" "$GUEST" 2>&1); rc=$?
tl=$out
addr=$(python3 "$C" notify-address "$TMP/pci.txt" 00:01.0 0 2>&1 | sed -n 's/.* = //p')
check "--dump-pci: the notify address from BAR0, the notify capability's offset and multiplier ($addr)" \
	eval 'rc_is 0 && [ -n "$addr" ] && grep -q "notify=$addr " <<<"$(timeout 60 "$VMM" --disk "$TMP/disk.img" --append virtio=list "$GUEST" 2>&1)"'
out=$(KERNEL=$kflag python3 "$C" ioeventfd "${addr:-0}" <<<"$tl")
check "with an ioeventfd: $([ $kflag = 1 ] && echo "kvm_mmio at $addr, no userspace exit for it, then ")the I/O thread's notify, chain, request, used ring, irqfd$([ $kflag = 1 ] && echo ", then kvm_msi_set_irq")" \
	eval '! grep -q ^FAIL <<<"$out"'
out=$(timeout 120 "$A" --limit 0 --cut blk.read=0 -- "$VMM" --no-ioeventfd --disk "$TMP/disk.img" --append "$NACT" "$GUEST" 2>&1); rc=$?
tl=$out
out=$(KERNEL=$kflag python3 "$C" no-ioeventfd "${addr:-0}" <<<"$tl")
check "without: $([ $kflag = 1 ] && echo "kvm_mmio at $addr and kvm_userspace_exit, then ")a userspace exit at $addr served on the vCPU thread, no I/O thread" \
	eval 'rc_is 0 && ! grep -q ^FAIL <<<"$out"'

# A config dword read, through either mechanism.
out=$(timeout 120 "$A" --limit 0 --cut pci=list -- "$VMM" --append "pci=cf8 pci=list" "$GUEST" 2>&1); rc=$?
tl=$out; out=$(KERNEL=$kflag python3 "$C" cf8 <<<"$tl")
check "0xCF8/0xCFC: two PIO exits (the address, then the data) decoded to one register" eval '! grep -q ^FAIL <<<"$out"'
out=$(timeout 120 "$A" --limit 0 --cut pci=list -- "$VMM" --append "pci=ecam pci=list" "$GUEST" 2>&1); rc=$?
tl=$out; out=$(KERNEL=$kflag python3 "$C" ecam <<<"$tl")
check "ECAM: one MMIO exit for the register" eval '! grep -q ^FAIL <<<"$out"'

# Passthrough: a BAR store, then an MSI-X table store (BAR0 + 0x2000 on this fixture).
( cd "$TMP" && python3 "$ROOT/tests/lib/fixture_device.py" fx.config fx.resource >/dev/null &&
  "$ROOT/scripts/mkfixture" fx.config fx.resource fx/devices >/dev/null )
PACT="pci=list bar.write=00:01.0,0,0x100,hello bar.write=00:01.0,0,0x2000,ABCD"
out=$(timeout 120 "$A" --limit 0 --cut "bar.write=00:01.0,0,0x100,hello" -- "$VMM" --passthrough 0000:00:05.0 \
	--sysfs-root "$TMP/fx/devices" --append "$PACT" "$GUEST" 2>&1); rc=$?
tl=$out; out=$(KERNEL=$kflag python3 "$C" no-event 0xc0000000 0xc0002000 <<<"$tl")
check "passthrough BAR store: no event at all in the mapped part of the BAR, no MMIO exit but config reads; the bytes are in resource0" \
	eval 'rc_is 0 && ! grep -q ^FAIL <<<"$out" && [ "$(dd if="$TMP/fx/devices/0000:00:05.0/resource0" bs=1 skip=256 count=5 2>/dev/null)" = hello ]'
out=$(timeout 120 "$A" --limit 0 --cut "bar.write=00:01.0,0,0x2000,ABCD" -- "$VMM" --passthrough 0000:00:05.0 \
	--sysfs-root "$TMP/fx/devices" --append "$PACT" "$GUEST" 2>&1); rc=$?
tl=$out; out=$(KERNEL=$kflag python3 "$C" msix-store 0xc0002000 <<<"$tl")
check "MSI-X table store: one trapped exit, the entry decoded (address 0x44434241, not an APIC address)" \
	eval '! grep -q ^FAIL <<<"$out" && grep -q "address 0x44434241 (not an APIC address)" <<<"$out"'

# The breakdown per exit kind.
if [ $perf_ok = 1 ]; then
	out=$(timeout 300 "$A" --breakdown -- "$VMM" --disk "$TMP/disk.img" --append "virtio=list bench.samples=3 bench=pio_write bench=cfg_ecam bench=cfg_cf8 bench=notify bench=blk_read_msix" "$GUEST" 2>&1); rc=$?
	bd=$out
	sect() { awk -v k="$1" '$0==k{p=1;next} /^[^ ]/{p=0} p' <<<"$bd"; }
	out=$(sect pio_write)
	check "--breakdown per kind: pio_write's round trip, its exit to the VMM and the four hops, 2048 each" \
		eval 'has "^  round trip \(the guest bench line, per operation\) +1536 +[0-9]+ +[0-9]+$" &&
		      has "^  exit to the VMM: pio write X size 1 <- X \(COM1 16550 UART\) +204[89]$" &&
		      [ "$(grep -cE "^    (kernel|to vmm|vmm|back): .* +204[89] +[0-9]+ +[0-9]+$" <<<"$out")" = 4 ]'
	out=$(sect cfg_cf8)
	check "... cfg_cf8: two exits per read (0xcf8 write, then the register), the read with no kernel hop on the way in" \
		eval 'has "^  exit to the VMM: pio write X size 4 <- X \(PCI config address \(0xcf8\)\) +204[89]$" &&
		      has "^  exit to the VMM: 00:00.0 VENDOR_ID\|DEVICE_ID read \(cf8\) -> X +204[89]$" &&
		      [ "$(grep -c "^    kernel: " <<<"$out")" = 1 ]'
	out=$(sect cfg_ecam)
	check "... cfg_ecam: one exit per read" eval 'has "^  exit to the VMM: 00:00.0 VENDOR_ID\|DEVICE_ID read \(ecam\) -> X +204[89]$" && [ "$(grep -c "^  exit to the VMM" <<<"$out")" = 1 ]'
	out=$(sect "notify (ioeventfd)")$'\n'$(sect "blk_read_msix (ioeventfd)")
	check "... notify: 2048 finished in the kernel and no exit to the VMM; blk_read_msix: the I/O thread's wake-up, request, irqfd, kvm_msi_set_irq" \
		eval 'has "^  notify KVM finished itself \(ioeventfd\): kvm_mmio, no userspace exit +204[89]$" &&
		      [ "$(sect "notify (ioeventfd)" | grep -c "exit to the VMM")" = 0 ] &&
		      has "^    I/O thread: notify -> used ring updated +[1-9][0-9]* " && has "^    kernel: irqfd -> kvm_msi_set_irq +[1-9][0-9]* "'
else
	for i in 1 2 3 4; do skip "kernel events: $why"; done
fi
