#!/usr/bin/env bash
# mutate-images.t - seeded random mutants of build/guest.elf against the VMM
# built with ASan/UBSan (build/vmm-asan, -fno-sanitize-recover).
#
# tests/lib/mutate_elf.py --random makes them (bit flips, byte sets, header,
# program header and note fields set to interesting values, truncations,
# overlapping segments, moved entries, added headers) and says of each
# whether the loader must accept or refuse it, from its own model of the
# loader's rules. For every mutant the VMM must agree, by two signals each:
#   refuse: exit 125 and the loader's "vmm: IMAGE: ..." message;
#   accept: with /dev/kvm, a boot (--append exit=0, --timeout 1) that ends
#           by itself with a documented status, 0-126, and no loader
#           message; without it, 125 and "cannot open /dev/kvm" (the image
#           is checked before KVM is opened);
# and never a sanitizer report, a signal or a hang (timeout(1) outside).
# MUTANTS (default 400) and MUTATE_SEED (default 1) pick them; mutants are
# made 50 at a time to keep the disk use small. A failure says how to make
# that one mutant again.
source "$(dirname "$0")/lib/tap.sh"
ASAN_VMM=$ROOT/build/vmm-asan
N=${MUTANTS:-400}
SEED=${MUTATE_SEED:-1}
BATCH=50
export ASAN_OPTIONS=exitcode=150 UBSAN_OPTIONS=exitcode=151:print_stacktrace=1
SANITIZER='Sanitizer|runtime error:|Segmentation|Aborted|core dumped'
[ -x "$ASAN_VMM" ] || { echo "Bail out! $ASAN_VMM is missing: run make first"; exit 1; }
plan $((N + 1))

diag "$N mutants, seed $SEED"
if kvm_usable; then kvm=1; else kvm=0; diag "no usable /dev/kvm: accepted mutants must fail to open it"; fi
refused=0 booted=0 nokvm=0 failed=0
declare -A rcs
start=$SECONDS

# one NAME VERDICT WHAT: run the VMM on one mutant, check it, count it.
one() {
	local name=$1 want=$2 what=$3 f=$TMP/$1 ok=1 why=
	out=$(timeout --preserve-status --kill-after=5 "$BOOT_TIMEOUT" \
		"$ASAN_VMM" --timeout 1 --append exit=0 "$f" </dev/null 2>&1)
	rc=$?
	if grep -qE -- "$SANITIZER" <<<"$out"; then
		ok=0 why="a sanitizer report or crash"
	elif [ "$rc" -gt 126 ]; then
		ok=0 why="exit code $rc: a signal, a sanitizer exit or a hang"
	elif [ "$want" = refuse ]; then
		if [ "$rc" = 125 ] && grep -qF -- "vmm: $f: " <<<"$out"; then
			refused=$((refused + 1))
		else
			ok=0 why="not refused (exit $rc, no 'vmm: IMAGE:' message)"
		fi
	elif grep -qF -- "vmm: $f: " <<<"$out"; then
		ok=0 why="a valid image refused by the loader"
	elif [ "$kvm" = 0 ]; then
		if [ "$rc" = 125 ] && grep -q "cannot open /dev/kvm" <<<"$out"; then
			nokvm=$((nokvm + 1))
		else
			ok=0 why="without /dev/kvm: exit $rc, expected 125 and 'cannot open /dev/kvm'"
		fi
	elif [ "$rc" = 125 ] && ! grep -q "^vmm: " <<<"$out"; then
		ok=0 why="exit 125 (runner failed) without a 'vmm: ' message"
	else
		booted=$((booted + 1))
		rcs[$rc]=$((${rcs[$rc]:-0} + 1))
	fi
	_n=$((_n + 1))
	if [ "$ok" = 1 ]; then
		echo "ok $_n - $name: $want, exit $rc ($what)"
	else
		failed=$((failed + 1))
		echo "not ok $_n - $name: $want ($what): $why"
		diag "make it again: python3 tests/lib/mutate_elf.py --random 1 --seed $SEED --first ${name##*-} build/guest.elf DIR"
		diag "$(tail -n 15 <<<"$out")"
	fi
}

for ((first = 0; first < N; first += BATCH)); do
	n=$((N - first < BATCH ? N - first : BATCH))
	list=$(python3 "$ROOT/tests/lib/mutate_elf.py" --random "$n" --seed "$SEED" --first "$first" "$GUEST" "$TMP") ||
		{ echo "Bail out! mutate_elf.py failed"; exit 1; }
	while IFS=$'\t' read -r name want what; do
		one "$name" "$want" "$what"
		rm -f "$TMP/$name"
	done <<<"$list"
done

out=
summary="$N mutants (seed $SEED) in $((SECONDS - start)) s: $refused refused, $booted booted"
for rc in $(printf '%s\n' "${!rcs[@]}" | sort -n); do summary+=", ${rcs[$rc]} exited $rc"; done
[ "$kvm" = 0 ] && summary+=", $nokvm accepted but not booted (no /dev/kvm)"
summary+=", $failed failed"
diag "$summary"
# The mix must hold both kinds, or the mutator has stopped doing its job.
check "mutants of both kinds: $refused refused, $((booted + nokvm)) accepted" \
	eval '[ "$refused" -gt 0 ] && [ $((booted + nokvm)) -gt 0 ]'
