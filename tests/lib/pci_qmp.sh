# pci_qmp.sh - the guest's pci=list against QEMU's own view (QMP query-pci
# through tests/lib/pci_view.py), for tests/pci-qemu.t and
# tests/microvm-qemu.t (sourced after tap.sh).

# boot_wait NAME APPEND [QEMU-ARGS...]: boots the guest (TCG, on
# $BOOT_MACHINE if set, else run-qemu's q35) with "APPEND wait" and a QMP
# socket; once the guest says "wait:" (or QEMU ends, or the time
# is up), saves QEMU's view in $TMP/NAME.qemu and quits QEMU through QMP.
# Leaves the guest's output in $out and $TMP/NAME.out, the runner's status
# in $rc and the QMP helper's in $qrc.
boot_wait() {
	local name=$1 append=$2 pid i
	shift 2
	"$ROOT/scripts/run-qemu" --accel tcg ${BOOT_MACHINE:+--machine "$BOOT_MACHINE"} --timeout "$BOOT_TIMEOUT" --append "$append wait" "$GUEST" -- \
		-qmp "unix:$TMP/$name.sock,server=on,wait=off" "$@" >"$TMP/$name.out" 2>&1 &
	pid=$!
	for ((i = 0; i < BOOT_TIMEOUT * 10; i++)); do
		grep -q '^wait: ' "$TMP/$name.out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	python3 "$ROOT/tests/lib/pci_view.py" qmp "$TMP/$name.sock" >"$TMP/$name.qemu" 2>"$TMP/$name.qmp-err"
	qrc=$?
	wait "$pid"
	rc=$?
	out=$(cat "$TMP/$name.out")
}

# same_view NAME: the guest's list equals QEMU's (diff shown on failure).
same_view() {
	python3 "$ROOT/tests/lib/pci_view.py" guest "$TMP/$1.out" >"$TMP/$1.guest"
	[ -s "$TMP/$1.guest" ] || { diag "the guest listed nothing"; return 1; }
	diff -u "$TMP/$1.qemu" "$TMP/$1.guest" >"$TMP/$1.diff" || { diag "$(cat "$TMP/$1.diff")"; return 1; }
}
qmp_ok() { [ "$qrc" = 0 ] || { diag "QMP helper exit $qrc: $(cat "$TMP/$1.qmp-err")"; return 1; }; }
bars_sane() {
	local why
	why=$(python3 "$ROOT/tests/lib/pci_view.py" sane "$TMP/$1.out") || { diag "$why"; return 1; }
}
