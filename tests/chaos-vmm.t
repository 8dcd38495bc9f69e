#!/usr/bin/env bash
# chaos-vmm.t - the guest attacks the VMM at random (guest action chaos=,
# guest/chaos.c): for a few seeds, tens of thousands of accesses of every
# size and alignment to every port, MMIO range, BAR, config register and
# virtqueue, against the ASan/UBSan VMM with a disk, an rng, a pci-testdev
# and a passed-through fixture device. The VMM must not crash, hang past
# its timeout or report undefined behaviour; the guest must live to print
# its summary; the disk image must keep its size; the fixture's config
# may change only in COMMAND's I/O and memory bits, which mediation
# forwards by design. CHAOS_SEEDS and CHAOS_COUNT set the campaign
# (make fuzz-chaos SECONDS=N runs seeds until N seconds are up).
source "$(dirname "$0")/lib/tap.sh"
kvm_usable || skip_all "/dev/kvm is missing or not usable by $(id -un): the guest must run"
[ -x "$ROOT/build/vmm-asan" ] || skip_all "build/vmm-asan is not built (make all)"
SEEDS=${CHAOS_SEEDS:-1 2 3}
COUNT=${CHAOS_COUNT:-20000}
CHAOS_TIMEOUT=${CHAOS_TIMEOUT:-120}
# CHAOS_SECONDS=N: seeds from CHAOS_FIRST_SEED on until N seconds are up
# (the plan then comes last, as TAP allows).
if [ -n "${CHAOS_SECONDS:-}" ]; then
	SEEDS=$(seq "${CHAOS_FIRST_SEED:-1}" 1000000)
else
	set -- $SEEDS
	plan $((6 * $#))
fi

python3 "$ROOT/tests/lib/fixture_device.py" "$TMP/cfg.bin" "$TMP/resource.txt"
"$ROOT/scripts/mkfixture" --bdf 0000:00:09.0 "$TMP/cfg.bin" "$TMP/resource.txt" "$TMP/fx/devices" >/dev/null ||
	echo "Bail out! mkfixture failed"
cp "$TMP/fx/devices/0000:00:09.0/config" "$TMP/config.before"
# Offsets that differ between two config files, in hex, one per line.
cfg_diff() { cmp -l "$1" "$2" | awk '{ printf "0x%x\n", $1 - 1 }'; }

total=0
nseeds=0 t0=$SECONDS # (make's SECONDS=N reaches bash as its own SECONDS)
for seed in $SEEDS; do
	[ -n "${CHAOS_SECONDS:-}" ] && [ $((SECONDS - t0)) -ge "$CHAOS_SECONDS" ] && break
	nseeds=$((nseeds + 1))
	truncate -s 1M "$TMP/disk.img"
	start=$SECONDS
	timeout --kill-after=5 $((CHAOS_TIMEOUT + 10)) "$ROOT/build/vmm-asan" --timeout "$CHAOS_TIMEOUT" \
		--disk "$TMP/disk.img" --rng --pci-testdev --passthrough 0000:00:09.0 --sysfs-root "$TMP/fx/devices" \
		--append "chaos=$seed,$COUNT" "$GUEST" >"$TMP/out" 2>&1
	rc=$?
	out=$(tr -d '\000' <"$TMP/out") # the UART got random bytes too
	summary=$(grep -ao 'chaos: seed .*' <<<"$out" | head -1)
	n=$(sed -nE 's/.* ([0-9]+) accesses:.*/\1/p' <<<"$summary")
	total=$((total + ${n:-0}))
	diag "seed $seed: ${summary:-no summary} ($((SECONDS - start)) s)"
	check "seed $seed: the VMM ends by the guest's exit, status 0" rc_is 0
	check "seed $seed: the guest lives to report" has "chaos: the guest is still here"
	check "seed $seed: at least $((COUNT * 9 / 10)) accesses were made (${n:-0})" test "${n:-0}" -ge $((COUNT * 9 / 10))
	check "seed $seed: no sanitizer report, no crash" lacks 'runtime error|AddressSanitizer|LeakSanitizer|Segmentation|sandbox: system call'
	check "seed $seed: the disk image is still 1 MiB" test "$(stat -c %s "$TMP/disk.img")" = 1048576
	changed=$(cfg_diff "$TMP/config.before" "$TMP/fx/devices/0000:00:09.0/config" | grep -v '^0x4$' | tr '\n' ' ')
	check "seed $seed: the fixture's config changed nowhere but COMMAND's low byte (${changed:-none})" test -z "$changed"
	cp "$TMP/fx/devices/0000:00:09.0/config" "$TMP/config.before"
done
diag "chaos: $nseeds seeds, $total guest accesses in $((SECONDS - t0)) s"
[ -n "${CHAOS_SECONDS:-}" ] && plan "$_n"
exit 0
