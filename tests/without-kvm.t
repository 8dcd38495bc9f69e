#!/usr/bin/env bash
# without-kvm.t - scripts/without-kvm CMD runs CMD where /dev/kvm does not
# exist (a private mount namespace whose /dev lacks it) while the rest of
# /dev still works, and changes nothing outside: make test-nokvm runs the
# suite that way, so the path of a machine without KVM is tested too.
source "$(dirname "$0")/lib/tap.sh"
[ "$(id -u)" = 0 ] || skip_all "scripts/without-kvm needs root (mount namespaces)"
command -v unshare >/dev/null || skip_all "unshare (util-linux) is not installed"
plan 7

WK=$ROOT/scripts/without-kvm
out=$(timeout 60 "$WK" sh -c '[ -e /dev/kvm ] && echo kvm-present; ls /dev; echo x >/dev/null && echo null-ok;
	head -c 8 /dev/urandom | wc -c; head -c 4 /dev/zero | wc -c; [ -d /dev/pts ] && [ -d /dev/shm ] && echo dirs-ok;
	echo fd-ok >/dev/stderr; exit 7' 2>&1)
rc=$?
check "the command's exit status comes back (7)" rc_is 7
check "/dev/kvm does not exist for the command" lacks '^kvm-present$|^kvm$'
check "/dev/null, /dev/urandom, /dev/zero work" eval 'has "^null-ok$" && has "^8$" && has "^4$"'
check "/dev/pts, /dev/shm and the /dev/std* links are there" eval 'has "^dirs-ok$" && has "^fd-ok$"'
if [ -e /dev/kvm ]; then
	check "/dev/kvm is still there outside" test -e /dev/kvm
else
	skip "no /dev/kvm on this machine to begin with"
fi
out=$(timeout 60 "$WK" sh -c 'exec "$@"' sh "$ROOT/build/vmm" --append exit=0 "$GUEST" 2>&1)
rc=$?
check "the VMM, under it, is refused for want of KVM: 125" eval 'rc_is 125 && has "/dev/kvm"'
out=$(timeout 60 "$WK" 2>&1)
rc=$?
check "no command: usage, non-zero" eval '[ "$rc" != 0 ] && has "^usage: "'
