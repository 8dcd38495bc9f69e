#!/usr/bin/env bash
# no-shared.t - the tests that read ../shared (the project's shared folder
# beside the checkout: DESIGN.md, STYLE.md, corpus/) must pass on a checkout
# without it, skipping their corpus cases honestly: prove passes them, and
# their TAP says SKIP with the reason. A checkout without ../shared is made
# of symlinks to this one, in a temporary folder with nothing beside it.
source "$(dirname "$0")/lib/tap.sh"
command -v prove >/dev/null || skip_all "prove (perl) is not installed"

# Every test that reads the corpus, but hostile-pci.t (VMM boots, minutes).
TESTS=(build/tests/test_pci_parse build/tests/test_pt_host tests/pciinfo_corpus.t tests/passthrough.t)
plan $((${#TESTS[@]} * 2))

mkdir "$TMP/checkout"
for f in "$ROOT"/* "$ROOT"/.[!.]*; do
	ln -s "$f" "$TMP/checkout/"
done
[ ! -e "$TMP/checkout/../shared" ] || { echo "Bail out! $TMP/shared exists"; exit 1; }

for t in "${TESTS[@]}"; do
	out=$(cd "$TMP/checkout" && CMOCKA_MESSAGE_OUTPUT=TAP timeout 120 prove -v "$t" 2>&1)
	rc=$?
	check "$t passes without ../shared" rc_is 0
	# Without KVM, passthrough.t skips for that first: also a reason.
	check "$t says it skipped for want of ../shared" eval \
		'has "(# SKIP|skipped:) .*shared" || { ! kvm_usable && has "skipped: .*/dev/kvm"; }'
done
