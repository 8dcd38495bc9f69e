#!/usr/bin/env bash
# fuzz-smoke.t - every libFuzzer target in tests/fuzz/, built with clang
# under ASan/UBSan, run for a bounded time (FUZZ_SECONDS, default 10) from
# its corpus in tests/fuzz/corpus/NAME/ (kept in the tree: seeds, and what
# make fuzz-long found). A crash, leak or sanitizer report fails.
source "$(dirname "$0")/lib/tap.sh"
command -v clang >/dev/null || skip_all "clang is not installed (apt-get install clang libclang-rt-dev)"
targets=("$ROOT"/tests/fuzz/fuzz_*.c)
plan $((2 * ${#targets[@]}))
for src in "${targets[@]}"; do
	name=$(basename "$src" .c)
	out=$(make -s -C "$ROOT" "build/fuzz/$name" 2>&1); rc=$?
	check "$name builds with libFuzzer + ASan/UBSan" rc_is 0
	corpus="$TMP/corpus-$name"
	mkdir -p "$corpus"
	out=$("$ROOT/build/fuzz/$name" -max_total_time="${FUZZ_SECONDS:-10}" -max_len=4096 \
		"$corpus" "$ROOT/tests/fuzz/corpus/$name" 2>&1); rc=$?
	check "$name runs ${FUZZ_SECONDS:-10}s clean ($(grep -oE 'Done [0-9]+ runs' <<<"$out"))" rc_is 0
done
