#!/usr/bin/env bash
# bench-exits.t - the bench tests of issue 11's three exit kinds, under the
# exitlab VMM and QEMU: rom_read/rom_write (a KVM_MEM_READONLY page above
# RAM: loads at memory speed, every store an MMIO exit the VMM counts and
# drops), pt_bar_load/store/copy against pt_msix_load/fwd on a fixture
# passthrough device (tests/lib/fixture_device.py: stores land in its
# resource0 with no exit, the MSI-X page exits once per load), ram_copy,
# and irq_inject (an irqfd write to the guest's handler, with the method
# it was timed by). Counts are checked against the VMM's --stats: one
# warm-up batch plus the samples (plus irq_inject's 15 calibration
# requests). Without the device, the irqchip or the exitlab VMM, each test
# says why it is skipped.
source "$(dirname "$0")/lib/tap.sh"
plan 20
BOOT_TIMEOUT=240
S=5 # samples
TESTS=rom_read,rom_write,pt_bar_load,pt_bar_store,pt_bar_copy,ram_copy,pt_msix_load,pt_msix_fwd,irq_inject
ACTS="bench.samples=$S bench=$TESTS"
# line NAME: the guest's bench line of test NAME.
line() { grep -E "^bench $1 iters=" <<<"$out" | head -n 1; }
field() { sed -nE "s/.* $2=([^ ]+).*/\1/p" <<<"$(line "$1")"; }
# A bench line as scripts/bench_stats.py reads it.
RESULT='iters=[0-9]+ cycles=[0-9]+ ns=[0-9.]+ .* batch=[0-9]+ samples=[0-9]+$'

if kvm_usable; then
	python3 tests/lib/fixture_device.py "$TMP/cfg" "$TMP/res"
	dev=$(scripts/mkfixture "$TMP/cfg" "$TMP/res" "$TMP/sys" --bdf 0000:00:05.0)
	RES0=$TMP/sys/0000:00:05.0/resource0
	boot_vmm --stats --rng --passthrough 0000:00:05.0@00:05.0 --sysfs-root "$TMP/sys" --append "$ACTS" "$GUEST"
	printf '%s\n' "$out" >"$TMP/vmm.out"
	check "the bench of the new exits exits 0 under the VMM" rc_is 0
	check "every new test prints a bench line scripts/bench reads" eval \
		'for t in ${TESTS//,/ }; do grep -qE "^bench $t $RESULT" <<<"$out" || { diag "no line for $t"; exit 1; }; done'
	# rom: the VMM counts every store and the page keeps its contents
	iters=$(field rom_write iters) batch=$(field rom_write batch)
	check "rom_write: the guest reads its pattern back (dropped=yes)" eval '[ "$(field rom_write dropped)" = yes ]'
	check "rom_write: --stats counts one MMIO exit per store ($((iters + batch)): samples and warm-up)" \
		has "^stats: rom 0x[0-9a-f]+\+0x1000 \(read-only slot [0-9]+\) writes $((iters + batch)) \($((4 * (iters + batch))) bytes, dropped\)$"
	check "rom_read is memory speed: under 1/100 of rom_write" \
		eval '(( $(field rom_read cycles) * 100 < $(field rom_write cycles) ))'
	check "the read-only page is reserved in the guest's memory map, right above RAM" \
		has "^memmap: [0-9]+ base=0x4000000 end=0x4001000 size=0x1000 reserved$"
	# passthrough
	check "pt_bar_load and pt_bar_store time a mapped page (BAR0+0x0) of 00:05.0" \
		eval '[ "$(field pt_bar_load off)" = 0x0 ] && [ "$(field pt_bar_store bdf)" = 00:05.0 ]'
	# pt_bar_store's last batch wrote i (0..511) at (i*64) % 4096: offset 0 last got 448.
	check "pt_bar_store's stores landed in the fixture's resource0 (dword 0 = 448) with no exit" \
		eval '[ "$(od -An -tu4 -N4 "$RES0" | tr -d " ")" = 448 ] && [ "$(grep -cE "^stats: +mmio .* 00:05\.0 passthrough" <<<"$out")" = 1 ]'
	check "pt_bar_copy reports its bandwidth, and ram_copy too" \
		eval '[[ "$(field pt_bar_copy bytes_per_ns)" =~ ^[0-9]+\.[0-9]{3}$ && "$(field ram_copy bytes_per_ns)" =~ ^[0-9]+\.[0-9]{3}$ ]]'
	n=$(( $(field pt_msix_load iters) + $(field pt_msix_load batch) ))
	check "pt_msix_load (table entry, BAR0+0x2008) and pt_msix_fwd (BAR0+0x2080): one exit per load in --stats" \
		eval '[ "$(field pt_msix_load off)" = 0x2008 ] && [ "$(field pt_msix_fwd off)" = 0x2080 ] &&
			has "^stats: +mmio 0x[0-9a-f]+\+0x2000 +00:05\.0 passthrough BAR0 \(MSI-X table page\) reads +$((2 * n)) writes +0$"'
	check "the trapped page costs 100x the mapped one at least" \
		eval '(( ($(field pt_bar_load cycles) + 1) * 100 < $(field pt_msix_load cycles) ))'
	# irq injection
	m=$(field irq_inject method)
	# Where the VMM read the guest's TSC for every request, the clocks must agree.
	if grep -qE "^stats: irq bench GSI [0-9]+: ([0-9]+) MSIs injected through its irqfd, \1 with the clocks correlated" <<<"$out"; then
		check "irq_inject: the VMM read the guest's TSC each time, and the guest says method=correlated" eval '[ "$m" = correlated ]'
	else
		check "irq_inject: no correlation from the VMM, and the guest says method=round_trip" eval '[ "$m" = round_trip ]'
	fi
	if [ "$m" = correlated ]; then
		# A reading of the offset can be off (a host preemption inside it):
		# such samples fall back to the round trip, and at most 1 in 20 may.
		check "correlated: the write time lay between the guest's OUT and its handler (all but 1 in 20 at most)" \
			eval '(( $(field irq_inject clock_violations) * 20 <= $(field irq_inject iters) ))'
	else
		check "round trip: the guest says why there is no correlation" has '^bench irq_inject: no clock correlation \('
	fi
	check "irq_inject: --stats counts the MSIs through the irqfd (samples, warm-up, 15 to calibrate)" \
		has "^stats: irq bench GSI [0-9]+: $(( $(field irq_inject iters) + 16 + 15 )) MSIs injected through its irqfd"
	check "irq_inject: the latency is positive and below the round trip" \
		eval '(( $(field irq_inject cycles) > 0 && $(field irq_inject cycles) < $(field irq_inject round_trip_cycles) ))'

	# without the device and the irqchip
	boot_vmm --append "$ACTS" "$GUEST"
	check "no passthrough device: the pt_* tests are skipped, saying why" eval \
		'rc_is 0 && [ "$(grep -c "^bench pt_[a-z_]* skipped: no passthrough device" <<<"$out")" = 5 ]'
	check "no irqchip: irq_inject is skipped, saying why; rom and ram_copy still run" eval \
		'has "^bench irq_inject skipped: no irq bench port" && has "^bench rom_write $RESULT" && has "^bench ram_copy $RESULT"'
else
	for i in $(seq 17); do skip "/dev/kvm is missing or not usable by $(id -un): the VMM needs KVM"; done
fi

# QEMU: no read-only page, no passthrough (no VFIO here), no irq port: all skipped but ram_copy
if command -v qemu-system-x86_64 >/dev/null; then
	boot_qemu tcg --append "$ACTS"
	check "under QEMU the bench exits 0" rc_is 0
	check "under QEMU rom_*, pt_* and irq_inject are skipped with a reason" eval \
		'[ "$(grep -cE "^bench (rom_[a-z]+|pt_[a-z_]+|irq_inject) skipped: .{10,}" <<<"$out")" = 8 ]'
	check "under QEMU ram_copy runs" has "^bench ram_copy $RESULT"
else
	for i in 1 2 3; do skip "qemu-system-x86_64 is not installed"; done
fi
