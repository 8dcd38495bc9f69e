#!/usr/bin/env bash
# hostile-pci.t - the guest against malformed PCI config spaces. Each case
# from tests/lib/hostile_pci.py is one --pci-raw function (read-only, no
# BARs behind it) next to the host bridge; the guest enumerates, lists and
# tries to drive it. Every run must end on its own within --timeout with the
# guest's own status 0 or 1 (never 3, a CPU exception; 124, a hang; 126, a
# dead guest) and its final status line; and where the device is broken in
# a way the guest can see, the guest must say what, in an `error` line.
# Functions that read all zeros or all ones are absent to the guest (as to
# Linux): nothing to say, but they must not be listed. A case with a
# NAME.args file is a topology (functions 1-7, functions behind a VMM
# --pci-bridge, hostile bridges next to it): the VMM gets those options
# instead of the one --pci-raw at 00:01.0. A regs-* case backs the
# function's BAR0 with a register file (--pci-raw FILE,bar0=REGS): the
# guest's driver takes it through reset and feature negotiation to queue
# setup, where one register lies (queue size, queue count, notify offset,
# features, an MSI-X that does not turn on); nothing ever completes a
# request, so the guest's bounded waits are tested too.
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"

python3 "$ROOT/tests/lib/hostile_pci.py" "$TMP" || { echo "Bail out! hostile_pci.py failed"; exit 1; }
RUN_TIMEOUT=10 # seconds per boot: these take milliseconds unless something loops
CORPUS=$ROOT/../shared/corpus/pci-config/0000_00_02.0.config.bin

# CASE|ACTIONS|STATUS|WHAT THE OUTPUT MUST SHOW (an ERE; !ERE: must not show)
# STATUS is the guest's: 1 where virtio=list or testdev=run found its device
# but could not drive it, else 0 (pci=list lists what is there, errors and all).
cases=$(cat <<'EOF'
cap-loop|pci=list virtio=list|0|^pci 00:01\.0 error 0x50 cap-cycle value=0x40:
cap-loop|pci=cf8 pci=list virtio=list|0|^pci 00:01\.0 error 0x50 cap-cycle value=0x40:
cap-ptr-low|pci=list virtio=list|0|^pci 00:01\.0 error 0x34 cap-ptr-low value=0x20:
cap-ptr-ff|pci=list virtio=list|0|^pci 00:01\.0 error 0xfc cap-overrun value=0x10:
cap-unaligned|pci=list virtio=list|0|^pci 00:01\.0 error 0x34 cap-ptr-unaligned value=0x41:
cap-no-status-bit|pci=list virtio=list|0|!^pci 00:01\.0 cap
cap-no-status-bit|pci=list virtio=list|0|^pci 00:01\.0 1234:5678 class=ff0000 hdr=0$
ext-loop|pci=list virtio=list|0|^pci 00:01\.0 error 0x140 ext-cap-cycle value=0x100:
ext-loop|pci=cf8 pci=list virtio=list|0|!^pci 00:01\.0 (cap|error) 0x1[0-9a-f]{2} 
ext-loop|pci=cf8 pci=list virtio=list|0|^pci 00:01\.0 1234:5678 class=ff0000 hdr=0$
ext-ptr-low|pci=list virtio=list|0|^pci 00:01\.0 error 0x100 ext-cap-ptr-low value=0x80:
ext-ptr-unaligned|pci=list virtio=list|0|^pci 00:01\.0 error 0x100 ext-cap-ptr-unaligned value=0x142:
bridge-unnumbered|pci=list virtio=list|0|^error: pci 00:01\.0: bridge ignores its bus numbers \(secondary reads 00 after writing 01\)
bridge-secondary-own-bus|pci=list virtio=list|0|^error: pci 00:01\.0: bridge's buses 00-10: the secondary bus is not above the bridge's own
bridge-secondary-own-bus|pci=cf8 pci=list virtio=list|0|^error: pci 00:01\.0: bridge's buses 00-10: the secondary bus is not above the bridge's own
bridge-subordinate-below|pci=list virtio=list|0|^error: pci 00:01\.0: bridge's buses 05-02: the subordinate bus is below the secondary
hdr-7f|pci=list virtio=list|0|^pci 00:01\.0 error 0xe header-type value=0x7f:
hdr-80-garbage|pci=list virtio=list|0|^pci 00:01\.0 1234:0080 class=[0-9a-f]{6} hdr=0 mf$
hdr-ff-garbage|pci=list virtio=list|0|^pci 00:01\.0 error 0xe header-type value=0xff:
virtio-garbage|pci=list virtio=list|1|^error: virtio-blk: no usable common capability
bars-all-ones|pci=list virtio=list|0|^error: pci 00:01\.0: bar5 reads 0xffffffff .*: not a BAR, ignored
bar64-in-bar5|pci=list virtio=list|0|^pci 00:01\.0 error 0x24 bar64-last value=0x5:
virtio-bar6|pci=list virtio=list|1|^error: virtio-blk: no usable common capability
virtio-bar7|pci=list virtio=list|1|^error: virtio-blk: no usable notify capability
virtio-overflow|pci=list virtio=list|1|^error: virtio-blk: no usable device capability
virtio-outside-bar|pci=list virtio=list|1|^error: virtio-blk: isr structure at BAR0\+0x7fff \(0x10 bytes\) runs past the end of its BAR
virtio-notify-short|pci=list virtio=list|1|^error: virtio-blk: notify structure is 0x1 bytes, shorter than the 0x2
virtio-notify-mult-huge|pci=list virtio=list|1|^error: virtio-blk: device_status reads 0xff: nothing answers
virtio-common-short|pci=list virtio=list|1|^error: virtio-blk: common structure is 0x10 bytes, shorter than the 0x38
virtio-io-bar|pci=list virtio=list|1|^error: virtio-blk: common structure is in BAR0, which is an I/O BAR
virtio-bar-wraps|pci=list virtio=list|1|^error: virtio-blk: common structure is in BAR0, which is not within the mapped low 4 GiB
virtio-bar-in-ram|pci=list virtio=list|1|^error: pci 00:01\.0: bar0 at 0x100000/0x100000 overlaps RAM
virtio-bar-upper-half|pci=list virtio=list|1|^error: virtio-blk: common structure is in BAR1, which is the upper half of a 64-bit BAR$
msix-bir7|pci=list virtio=list|1|^error: virtio-blk: MSI-X capability at 0x84 puts its table in BAR7, above 5: MSI-X not used$
msix-2048|pci=list virtio=list|1|^error: virtio-blk: MSI-X table \(2048 entries at BAR0\+0x4000\) runs past the end of its BAR
testdev-swapped-bars|pci=list testdev=run|1|^error: pci-testdev 00:01\.0: BAR0 must be memory and BAR1 I/O
mf-no-bit|pci=list virtio=list|0|^pci 00:01\.0 1234:5678 class=ff0000 hdr=0$
mf-no-bit|pci=list virtio=list|0|!^pci 00:01\.3
mf-bit-garbage-fn3|pci=list virtio=list|0|^pci 00:01\.0 1234:5678 class=ff0000 hdr=0 mf$
mf-bit-garbage-fn3|pci=list virtio=list|0|^pci 00:01\.3 error 0xe header-type value=0x7f: unknown header layout
mf-bit-alone|pci=list virtio=list|0|^pci 00:01\.0 1234:5678 class=ff0000 hdr=0 mf$
mf-bit-alone|pci=list virtio=list|0|!^pci 00:01\.[1-7]
bridge-loop-behind|pci=list virtio=list|0|^error: pci 01:00\.0: bridge's buses 01-01: the secondary bus is not above the bridge's own \(a walk there would loop\); renumbering it$
bridge-loop-behind|pci=cf8 pci=list virtio=list|0|^error: pci 01:00\.0: bridge ignores its bus numbers \(secondary reads 01 after writing 02\): not walked behind$
bridge-loop-to-root|pci=list virtio=list|0|^error: pci 01:00\.0: bridge's buses 00-05: the secondary bus is not above the bridge's own
bridge-sub-below-behind|pci=list virtio=list|0|^error: pci 01:00\.0: bridge's buses 05-02: the subordinate bus is below the secondary; renumbering it$
bridge-claims-vmm-bus|pci=list virtio=list|1|^error: pci 00:02\.0: bridge's buses 01-01: the secondary bus was walked already; renumbering it$
bridge-claims-vmm-bus|pci=list virtio=list|1|^pci 00:02\.0: bridge numbered: buses 02-02 behind it$
bridge-windows-over-ram|pci=list virtio=list|0|^error: pci 00:01\.0: bridge memory window 0x0-0x3ffffff overlaps RAM 0x0-0x9ffff$
bridge-windows-over-ram|pci=list virtio=list|0|^error: pci 00:01\.0: bridge prefetchable window 0x0-0x3ffffff overlaps RAM 0x0-0x9ffff$
bridge-windows-over-ram|pci=list virtio=list|0|^pci 01:00\.0 bar0=mem64:0xc0000000/0x8000 assigned$
bridge-windows-over-ram|pci=list virtio=list|0|^virtio 01:00\.0 virtio-rng negotiated
bridge-windows-overlap|pci=list virtio=list|0|^pci 00:02\.0 1b36:0001 class=060400 hdr=1 secondary=02 subordinate=02$
bridge-windows-overlap|pci=list virtio=list|0|^error: pci 00:02\.0: bridge memory window 0xc0000000-0xc00fffff overlaps the memory window 0xc0000000-0xc00fffff of the bridge at 00:01\.0$
bridge-windows-overlap|pci=list virtio=list|0|^pci 00:05\.0 bar0=mem64:0xc0100000/0x8000 assigned$
regs-no-completion|virtio=list blk.read=0|1|^virtio 00:01\.0 virtio-blk negotiated: VIRTIO_F_VERSION_1$
regs-no-completion|virtio=list blk.read=0|1|^error: virtio-blk: no completion \(used index 0, unchanged\) on queue 0$
regs-bar0-at-0|pci=list virtio=list|0|^pci 00:01\.0 bar0=mem64:0xc0000000/0x8000 pf assigned$
regs-bar0-at-0|pci=list virtio=list|0|^virtio 00:01\.0 virtio-blk queue 0 notify: BAR0 0xc0000000 \+ cap\.offset 0x3000 \+ queue_notify_off 0 \* multiplier 4 = 0xc0003000$
regs-same-bar-twice|pci=list blk.disk=1 virtio=list|0|^error: pci 00:02\.0: bar0 at 0xc0008000/0x8000 overlaps pci 00:01\.0 bar0 at 0xc0008000/0x8000: not used there, reassigned$
regs-same-bar-twice|pci=list blk.disk=1 virtio=list|0|^virtio 00:02\.0 virtio-blk queue 0 notify: BAR0 0xc0010000 \+ cap\.offset 0x3000 
bars-overlap-fixed|pci=list virtio=list|0|^error: pci 00:02\.0: bar0 at 0xc0001000/0x1000 overlaps pci 00:01\.0 bar0 at 0xc0001000/0x1000: not used there, reassigned$
bars-overlap-fixed|pci=list virtio=list|0|^error: pci 00:02\.0: bar0 reads 0xc0001000 after we wrote 0xc0002000: left unassigned$
regs-queue-size-0|virtio=list|1|^error: virtio-blk: queue 0 does not exist \(queue_size 0\)$
regs-queue-size-24|virtio=list|0|^virtio 00:01\.0 virtio-blk features=0x100000000 queue=0 size=16 
regs-queue-size-ffff|virtio=list|0|^virtio 00:01\.0 virtio-blk features=0x100000000 queue=0 size=32 
regs-num-queues-0|virtio=list|1|^error: virtio-blk: num_queues reads 0: the device has no virtqueues$
regs-notify-off-huge|virtio=list|1|^error: virtio-blk: queue 0 has its notify address \(queue_notify_off \* notify_off_multiplier\) outside the notify structure$
regs-notify-mult-huge|virtio=list|1|^error: virtio-blk: queue 0 has its notify address \(queue_notify_off \* notify_off_multiplier\) outside the notify structure$
regs-no-version-1|virtio=list|1|^error: virtio-blk: VIRTIO_F_VERSION_1 not offered
regs-msix-stuck|irq=msix virtio=list|1|^error: virtio-blk: MSI-X does not turn on \(Message Control reads 0x0001 after writing 0x8001\)$
regs-msix-stuck|irq=msix virtio=list|1|^virtio 00:01\.0 virtio-rng negotiated
regs-msix-no-apic|irq=msix virtio=list|1|^error: irq=msix: no local APIC answers at 0xfee00000
regs-capacity-0|virtio=list blk.read=0|1|^error: blk\.read: sector 0 is past the end \(0 sectors\): nothing sent$
all-zero|pci=list virtio=list|0|!^pci 00:01
all-ones|pci=list virtio=list|0|!^pci 00:01
EOF
)
for f in "$TMP"/*.bin; do
	n=$(basename "$f" .bin)
	grep -q "^$n|" <<<"$cases" || { echo "Bail out! case $n of hostile_pci.py is not tested here"; exit 1; }
done
plan $((2 * $(grep -c . <<<"$cases") + 7))

# Ends by itself with the guest's own status (the one expected, never 3 =
# a CPU exception, 124 = a hang, 126 = a dead guest) and its final line.
survived() { # EXPECTED
	case $rc in
	"$1") has "^exitlab: exit status $rc$" ;;
	3) diag "exit code 3: the guest took a CPU exception"; return 1 ;;
	124) diag "exit code 124: the guest was still running after ${RUN_TIMEOUT}s"; return 1 ;;
	*) diag "exit code $rc, expected the guest's own $1"; return 1 ;;
	esac
}
shows() { if [ "${1:0:1}" = '!' ]; then lacks "${1:1}"; else has "$1"; fi; }

while IFS='|' read -r name actions status want; do
	devices=(--pci-raw "$TMP/$name.bin")
	[ -f "$TMP/$name.args" ] && mapfile -t devices < <(sed "s|{}|$TMP|g" "$TMP/$name.args")
	boot_vmm --timeout "$RUN_TIMEOUT" "${devices[@]}" --append "$actions" "$GUEST"
	check "$name ($actions): survives, status $status" survived "$status"
	check "$name ($actions): shows /$want/" shows "$want"
done <<<"$cases"

# A guest that touches a BAR with nothing behind it makes an unclaimed
# access, which the VMM reports and survives.
boot_vmm --timeout "$RUN_TIMEOUT" --pci-raw "$TMP/virtio-notify-mult-huge.bin" --append "virtio=list" "$GUEST"
check "a BAR with nothing behind it: the VMM reports the unclaimed access" \
	has '^vmm: guest wrote unclaimed MMIO address 0xc0008014 \(1 bytes\): dropped'

# The config space is read-only: after enumeration, BAR sizing included,
# --dump-pci shows the file's bytes unchanged.
same_bytes() { # DUMP FILE: the slot-1 function of DUMP is FILE, byte for byte
	python3 - "$1" "$2" <<'PY'
import re, sys
dump, path = sys.argv[1], sys.argv[2]
want = open(path, "rb").read()
got, inside = bytearray(), False
for line in open(dump):
    if re.match(r"[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] ", line):  # a function's heading
        inside = line.startswith("00:01.0 ")
    elif inside and ":" in line:
        got += bytes(int(x, 16) for x in line.split(":", 1)[1].split())
sys.exit(0 if bytes(got[:len(want)]) == want and not any(got[len(want):]) else 1)
PY
}
boot_vmm --timeout "$RUN_TIMEOUT" --dump-pci "$TMP/dump" --pci-raw "$TMP/virtio-bar-in-ram.bin" \
	--append "pci=list virtio=list" "$GUEST"
check "guest writes are dropped: after sizing and assignment the config space is the file's" \
	same_bytes "$TMP/dump" "$TMP/virtio-bar-in-ram.bin"

# bar0=REGS is a private copy: the guest wrote the device's status and
# queue registers, and the file is as it was.
cp "$TMP/regs-bar0-at-0.regs" "$TMP/regs-before"
boot_vmm --timeout "$RUN_TIMEOUT" --pci-raw "$TMP/regs-bar0-at-0.bin,bar0=$TMP/regs-bar0-at-0.regs" \
	--append "virtio=list" "$GUEST"
check "bar0=REGS: the guest drove the device (DRIVER_OK), and REGS is unchanged" \
	eval 'rc_is 0 && has "^virtio 00:01\.0 virtio-blk negotiated" && cmp -s "$TMP/regs-before" "$TMP/regs-bar0-at-0.regs"'

# A real device's recorded config space (a virtio-blk, its BAR above 4 GiB).
if [ -r "$CORPUS" ]; then
	boot_vmm --timeout "$RUN_TIMEOUT" --pci-raw "$CORPUS" --append "pci=list virtio=list" "$GUEST"
	check "corpus 0000_00_02.0: boots; virtio=list fails (status 1): the device is out of reach" \
		eval 'rc_is 1 && has "^exitlab: exit status 1$"'
	check "corpus 0000_00_02.0: listed as the recorded virtio-blk, with its capabilities" \
		eval 'has "^pci 00:01\.0 1af4:1042 class=018000 hdr=0$" &&
			has "^pci 00:01\.0 cap 0x98 id=0x11 MSI-X table_size=2 table=bar0\+0x8000"'
	check "corpus 0000_00_02.0: its BAR above 4 GiB is not used" \
		has '^error: virtio-blk: common structure is in BAR0, which is not within the mapped low 4 GiB'
else
	for i in 1 2 3; do skip "no corpus file $CORPUS"; done
fi

# Several at once, on the slots after the other devices.
boot_vmm --timeout "$RUN_TIMEOUT" --pci-testdev --pci-raw "$TMP/cap-loop.bin" --pci-raw "$TMP/bridge-unnumbered.bin" \
	--append "pci=list" "$GUEST"
check "two --pci-raw after the pci-testdev: 00:02.0 and 00:03.0" \
	eval 'rc_is 0 && has "^pci 00:01\.0 1b36:0005 " && has "^pci 00:02\.0 1234:5678 " && has "^pci 00:03\.0 1b36:0001 "'
