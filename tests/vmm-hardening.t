#!/usr/bin/env bash
# vmm-hardening.t - the faults found by trying to break build/vmm, each
# pinned: option values never cut or wrapped, a bare --mem in MiB, usage
# errors in one line, every file the options name vetted (kind, size)
# before KVM is touched, --timeout over the whole process; and, with KVM,
# a VM that outlives the reader of its output, a device that does no DMA
# with bus mastering off, a misaligned console buffer under UBSan.
#
# The first part needs no /dev/kvm. Where unshare(1) works (root), some
# refusals also run with /dev/kvm hidden (a private, empty /dev), so that
# "checked before KVM is opened" is tested here too, not only claimed.
source "$(dirname "$0")/lib/tap.sh"
plan 51

run() { out=$(timeout 20 "$VMM" "$@" 2>&1); rc=$?; }
lines_are_at_most() { [ "$(wc -l <<<"$out")" -le "$1" ] || { diag "$(wc -l <<<"$out") lines"; return 1; }; }

# --- numbers: range-checked before any cast --------------------------------
run --timeout 4294967297 "$GUEST"
check "--timeout 4294967297 (2^32 + 1) is refused, not taken as 1 s" \
	eval 'rc_is 125 && has "--timeout .4294967297.: give whole seconds from 1 to 86400"'
run --timeout -4294967295 "$GUEST"
check "--timeout -4294967295 is refused" eval 'rc_is 125 && has "--timeout .-4294967295.: give whole seconds"'
run --timeout 18446744073709551617 "$GUEST"
check "--timeout past 2^64 is refused" eval 'rc_is 125 && has "--timeout .18446744073709551617.: give"'
run --timeout ' 5' "$GUEST"
check "--timeout with a leading space is refused" eval 'rc_is 125 && has "--timeout . 5.: give whole seconds"'
run --mem 5000 "$GUEST"
check "--mem 5000 is 5000 MiB (above the 2048 MiB limit), not 5000 bytes" \
	eval 'rc_is 125 && has "--mem 5000 MiB: must be from 4 MiB to 2048 MiB"'
run --mem 18446744073709551615 "$GUEST"
check "--mem 2^64 - 1 MiB does not wrap" eval 'rc_is 125 && has "--mem .18446744073709551615.: not a size"'
run --mem 64X "$GUEST"
check "--mem 64X: not a size" eval 'rc_is 125 && has "--mem .64X.: not a size"'

# --- usage errors: one line and where to look ------------------------------
run --frob "$GUEST"
check "unknown option: one line, then \"try 'vmm --help'\", no usage dump" \
	eval 'rc_is 125 && has "^vmm: unrecognized option .--frob.$" && has "^try .vmm --help.$" && lines_are_at_most 2'
run "$GUEST" --timeout
check "an option without its value: says which" \
	eval 'rc_is 125 && has "^vmm: option .--timeout. needs a value$" && lines_are_at_most 2'
run
check "no image: one line and the hint" eval 'rc_is 125 && has "^vmm: no IMAGE given$" && lines_are_at_most 2'

# --- --disk FILE[,OPTIONS] -------------------------------------------------
truncate -s 64K "$TMP/d.img"
run --disk "$TMP/d.img,rw" "$GUEST"
check "--disk FILE,rw: unknown option refused by name" \
	eval 'rc_is 125 && has "^vmm: --disk .*/d\.img: unknown option .rw. \(known: ro, queues=N, serial=S\)$"'
run --disk "$TMP/d.img,ro,sync" "$GUEST"
check "--disk FILE,ro,sync: the unknown one is named" eval 'rc_is 125 && has "unknown option .sync."'
run --disk "/$(head -c 5000 /dev/zero | tr '\0' d)" "$GUEST"
check "--disk with a 5001-byte name: refused by name, not cut" \
	eval 'rc_is 125 && has "^vmm: --disk: the file name is 5001 bytes; at most 4095 are allowed$"'
run --pci-raw "/$(head -c 5000 /dev/zero | tr '\0' r)" "$GUEST"
check "--pci-raw with a 5001-byte name: refused by name" \
	eval 'rc_is 125 && has "^vmm: --pci-raw: the file name is 5001 bytes; at most 4095"'
run --sysfs-root "/$(head -c 4100 /dev/zero | tr '\0' s)" "$GUEST"
check "--sysfs-root with a 4101-byte name: refused by name" \
	eval 'rc_is 125 && has "^vmm: --sysfs-root: the file name is 4101 bytes; at most 4000"'

# --- files of the wrong kind: refused at once, never waited on --------------
mkfifo "$TMP/fifo"
start=$SECONDS
run --disk "$TMP/fifo,ro" "$GUEST"
check "a FIFO as --disk FILE,ro is refused at once (no writer is waited for)" \
	eval 'rc_is 125 && has "--disk .*/fifo: not a regular file or block device"'
run --pci-raw "$TMP/fifo" "$GUEST"
check "a FIFO with no writer as --pci-raw is refused at once" \
	eval 'rc_is 125 && has "^vmm: --pci-raw .*/fifo: 0 bytes; a config space is 256 or 4096 bytes$"'
run "$TMP/fifo"
check "a FIFO as the IMAGE is refused at once" eval 'rc_is 125 && has "image .*/fifo. is not a regular file"'
check "the three FIFO refusals took seconds, not a timeout ($((SECONDS - start)) s)" \
	test $((SECONDS - start)) -lt 15
# A config space whose BAR0 is 32-bit memory, its REGS a FIFO: open() must
# not wait for a writer before the file's kind is looked at.
{ printf '\xf4\x1a\x42\x10'; head -c 12 /dev/zero; printf '\x00\x00\x00\xc0'; head -c 236 /dev/zero; } >"$TMP/mem.bin"
start=$SECONDS
run --pci-raw "$TMP/mem.bin,bar0=$TMP/fifo" "$GUEST"
check "a FIFO with no writer as --pci-raw FILE,bar0=REGS is refused at once ($((SECONDS - start)) s)" \
	eval 'rc_is 125 && has "^vmm: bar0=.*/fifo: not a regular file$"'
run --pci-raw /dev/zero "$GUEST"
check "a character device as --pci-raw is refused" eval 'rc_is 125 && has "--pci-raw /dev/zero: not a regular file or a pipe"'
run --dump-pci "$TMP" "$GUEST"
check "--dump-pci naming a directory is refused before the VM runs" \
	eval 'rc_is 125 && has "^vmm: --dump-pci .*: not a regular file$"'

# --- --timeout covers setup too ----------------------------------------------
start=$SECONDS
run --timeout 1 --test-hook setup-hang "$GUEST"
check "--timeout 1 ends a setup that hangs: 124, said so, within a few seconds" \
	eval 'rc_is 124 && has "timed out before the guest started" && [ $((SECONDS - start)) -lt 10 ]'

# --- refusals with /dev/kvm absent --------------------------------------------
if [ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null; then
	nokvm() { out=$(timeout 20 unshare -m sh -c 'mount -t tmpfs none /dev && exec "$@"' sh "$VMM" "$@" 2>&1); rc=$?; }
	nokvm --append "$(head -c 9000 /dev/zero | tr '\0' x)" "$GUEST"
	check "no /dev/kvm: an over-long --append is refused as such" \
		eval 'rc_is 125 && has "command line is 9000 bytes; at most 8191 fit"'
	nokvm --disk "$TMP/missing.img" "$GUEST"
	check "no /dev/kvm: a missing --disk is refused as such" eval 'rc_is 125 && has "^vmm: --disk .*/missing\.img: No such file"'
	nokvm --passthrough 0000:00:09.0 --sysfs-root "$TMP/no-such-dir" "$GUEST"
	check "no /dev/kvm: a --passthrough device that is not there is refused as such" \
		eval 'rc_is 125 && lacks "/dev/kvm" && has "no-such-dir"'
	nokvm --append exit=0 "$GUEST"
	check "no /dev/kvm: a good command line ends at KVM, saying so" eval 'rc_is 125 && has "cannot open /dev/kvm"'
else
	for i in 1 2 3 4; do skip "cannot hide /dev/kvm here (needs root and unshare -m)"; done
fi

# --- with KVM -------------------------------------------------------------------
if ! kvm_usable; then
	for i in $(seq $((51 - _n))); do skip "/dev/kvm is missing or not usable: these boot the guest"; done
	exit 0
fi

# A 255-byte FILE,ro: the ",ro" once fell off a 256-byte buffer, and the
# guest's write landed in a disk declared read-only.
long="$TMP/$(head -c 200 /dev/zero | tr '\0' L)"
mkdir -p "$long"
long="$long/$(head -c $((254 - ${#long})) /dev/zero | tr '\0' f)"
truncate -s 64K "$long"
boot_vmm --disk "$long,ro" --append "blk.write=3:must-not-land" "$GUEST"
check "a ${#long}-byte FILE,ro stays read-only: the guest's write fails" eval 'rc_is 1'
check "... and the file holds no byte of it" cmp -s "$long" <(head -c 65536 /dev/zero)

# The reader of stdout goes away at once: the VM goes on, its disk write lands.
truncate -s 64K "$TMP/pipe.img"
python3 - "$VMM" "$TMP/pipe.img" "$GUEST" >"$TMP/pipe.rc" 2>"$TMP/pipe.err" <<'EOF'
import os, subprocess, sys
vmm, disk, guest = sys.argv[1:4]
r, w = os.pipe()
os.close(r)  # nobody will ever read what the VMM prints
p = subprocess.run([vmm, "--timeout", "30", "--disk", disk, "--append", "blk.write=2:after-the-reader-left", guest],
                   stdout=w, stderr=subprocess.PIPE)
print(p.returncode)
EOF
check "stdout's reader gone: the VMM exits 0, not 141 (SIGPIPE) ($(cat "$TMP/pipe.rc"))" \
	test "$(cat "$TMP/pipe.rc")" = 0
check "... and the guest's later disk write is in the file" \
	eval 'dd if="$TMP/pipe.img" bs=512 skip=2 count=1 status=none | grep -q after-the-reader-left'

# Bus mastering off: the device must not read the request from guest memory.
truncate -s 64K "$TMP/master.img"
boot_vmm --disk "$TMP/master.img" --append "virtio=list cfg.write=00:01.0,0x4,2,0x2 blk.write=5:no-dma-please" "$GUEST"
check "bus master off: the request does not complete (status 1)" eval 'rc_is 1 && has "no completion"'
check "... the VMM says why" has "virtio-blk: queue 0 notified with bus mastering off: requests wait"
check "... and nothing reached the disk" cmp -s "$TMP/master.img" <(head -c 65536 /dev/zero)

# A misaligned buffer address handed to the console port, under UBSan.
if [ -x "$ROOT/build/vmm-asan" ]; then
	out=$(timeout 60 "$ROOT/build/vmm-asan" --append "port.write=0x4e8,4,0x100001 port.write=0x4e8,4,0x3ffffff exit=0" "$GUEST" 2>&1)
	rc=$?
	check "ASan/UBSan VMM: console buffers at odd addresses are handled (exit 0)" rc_is 0
	check "... with no sanitizer report" lacks 'runtime error|AddressSanitizer|UndefinedBehaviorSanitizer'
else
	skip "build/vmm-asan not built"; skip "build/vmm-asan not built"
fi

boot_vmm --mem 512 --append exit=0 "$GUEST"
check "--mem 512: the guest has 512 MiB (less the legacy hole)" \
	eval 'rc_is 0 && [ $(( $(guest_ram_bytes) >> 20 )) -ge 511 ] && [ $(( $(guest_ram_bytes) >> 20 )) -le 512 ]'

# The sandbox: a call off the list kills the process; every thread is in it.
boot_vmm --test-hook forbidden-syscall --append exit=0 "$GUEST"
check "sandbox on: a socket() after setup kills the VMM with SIGSYS (exit 159)" eval 'rc_is 159 && lacks "socket\(\) was allowed"'
boot_vmm --no-sandbox --test-hook forbidden-syscall --append exit=0 "$GUEST"
check "--no-sandbox: the same socket() is allowed and the guest runs to its end" \
	eval 'rc_is 0 && has "test hook: socket\(\) was allowed"'
truncate -s 64K "$TMP/sb.img"
"$VMM" --timeout 20 --disk "$TMP/sb.img" --append wait "$GUEST" >/dev/null 2>&1 &
pid=$!
modes=""
for i in $(seq 50); do # until both threads are in the filter (2), or 5 s
	modes=$(cat /proc/$pid/task/*/status 2>/dev/null | sed -n 's/^Seccomp:\t//p' | tr '\n' ' ')
	case "$modes" in 2\ 2\ *) [ -z "${modes//2 /}" ] && break ;; esac
	sleep 0.1
done
kill $pid 2>/dev/null; wait $pid 2>/dev/null
check "every thread, the vCPU's and the I/O thread's, runs under the filter (Seccomp: $modes)" \
	eval '[ -n "$modes" ] && [ "$(wc -w <<<"$modes")" -ge 2 ] && [ -z "${modes//2 /}" ]'
# The filter is compiled at build time: installing it is one seccomp call
# (libseccomp at run time probed the kernel with nine more and built the
# program on the heap: 0.06 ms of start-up here, in all).
if command -v strace >/dev/null; then
	out=$(strace -f -qq -e trace=seccomp -o "$TMP/sb.trace" "$VMM" --append exit=0 "$GUEST" 2>&1); rc=$?
	calls=$(grep -c 'seccomp(' "$TMP/sb.trace")
	check "the filter goes in with one seccomp call, both threads at once ($calls seccomp calls)" \
		eval 'rc_is 0 && [ "$calls" = 1 ] && grep -q "SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC," "$TMP/sb.trace"'
else
	skip "strace is not installed"
fi
out=$("$VMM" --show-sandbox); rc=$?
check "--show-sandbox lists the calls: KVM_RUN yes, openat and execve no" \
	eval 'rc_is 0 && has "KVM_RUN" && has " pwritev " && lacks "openat|execve|socket"'
boot_vmm --stats --dump-pci "$TMP/dump" --disk "$TMP/sb.img" --rng --pci-testdev --append "pci=list virtio=list irq=msix blk.read=1 rng.read=8 testdev=run" "$GUEST"
check "sandbox on: virtio, MSI-X, pci-testdev, --stats and --dump-pci all work" \
	eval 'rc_is 0 && has "stats: vmm peak RSS [0-9]+ KiB" && grep -q "^00:01.0 virtio-blk" "$TMP/dump"'

# --timeout holds when stdout is a pipe that is full and never read.
python3 - "$VMM" "$GUEST" >"$TMP/full.rc" <<'EOF'
import os, subprocess, sys, time
vmm, guest = sys.argv[1:3]
r, w = os.pipe()  # kept open and never read: the VMM's writes block once it is full
t = time.monotonic()
try:
    p = subprocess.run([vmm, "--timeout", "2", "--append", "help " * 300, guest], stdout=w,
                       stderr=subprocess.DEVNULL, timeout=20)
    print(p.returncode, round(time.monotonic() - t))
except subprocess.TimeoutExpired:
    print("hung", 20)
EOF
read -r full_rc full_s <"$TMP/full.rc"
check "stdout full and unread: --timeout 2 still ends the VMM with 124 (got $full_rc after ${full_s} s)" \
	eval '[ "$full_rc" = 124 ] && [ "$full_s" -le 6 ]'

# A host device whose own MSI-X table is larger than what is emulated (2048
# entries, the guest is offered 64): no entry of it is reached, trapped
# page or mapped page.
python3 "$ROOT/tests/lib/fixture_device.py" --msix-entries 2048 --pba 0xc000 "$TMP/big.bin" "$TMP/big.txt"
"$ROOT/scripts/mkfixture" --bdf 0000:00:09.0 "$TMP/big.bin" "$TMP/big.txt" "$TMP/fxbig" >/dev/null
res0=$TMP/fxbig/0000:00:09.0/resource0
boot_vmm --passthrough 0000:00:09.0 --sysfs-root "$TMP/fxbig" --append \
	"pci=list bar.write=00:01.0,0,0x2400,ENTRY64 bar.write=00:01.0,0,0x4000,ENTRY512 bar.write=00:01.0,0,0xc010,PBA bar.read=00:01.0,0,0x2400,8" "$GUEST"
check "2048-entry host table: the guest is offered 64" has "MSI-X table_size=64 table=bar0\+0x2000"
check "... an entry past 64 in the trapped page reads as ones" has "bar 00:01.0 bar0\+0x2400: ffffffffffffffff"
check "... and neither it, nor entry 512, nor the PBA's far end reached the device" \
	eval '! grep -qa -e ENTRY64 -e ENTRY512 -e PBA "$res0"'

# Two passthrough BARs, BAR1 moved onto BAR0's memory slot: refused by the
# address-space registry, which knows the slot, with its message, and it
# decodes once BAR0 moves away.
python3 "$ROOT/tests/lib/fixture_device.py" --two-bars "$TMP/two.bin" "$TMP/two.txt"
"$ROOT/scripts/mkfixture" --bdf 0000:00:09.0 "$TMP/two.bin" "$TMP/two.txt" "$TMP/fxtwo" >/dev/null
boot_vmm --stats --passthrough 0000:00:09.0 --sysfs-root "$TMP/fxtwo" --append \
	"pci=list cfg.write=00:01.0,0x14,4,0xc0000000 cfg.write=00:01.0,0x10,4,0xd0000000 bar.write=00:01.0,0,0x100,HELLO" "$GUEST"
check "BAR1 onto BAR0's memory slot: refused, naming both" \
	has "00:01\.0 passthrough BAR1 at \[0xc0000000, 0xc0010000\) overlaps 00:01\.0 passthrough BAR0 at \[0xc0000000, 0xc0010000\): left undecoded until it moves"
check "... BAR0 moved away: BAR1 decodes there, the store lands in resource1" \
	eval 'dd if="$TMP/fxtwo/0000:00:09.0/resource1" bs=1 skip=256 count=5 status=none | grep -q HELLO'
check "... and --stats agrees: BAR1 mapped at 0xc0000000, BAR0 at 0xd0000000" \
	eval 'has "BAR1: 64 KiB at 0xc0000000, 64 KiB mapped" && has "BAR0: 64 KiB at 0xd0000000, 64 KiB mapped"'
boot_vmm --passthrough 0000:00:09.0 --sysfs-root "$TMP/fxtwo" --append \
	"pci=list cfg.write=00:01.0,0x14,4,0xc0000000 bar.write=00:01.0,0,0x200,STILL0" "$GUEST"
check "BAR1 refused while BAR0 stays: the store goes to BAR0, not to BAR1" \
	eval 'dd if="$TMP/fxtwo/0000:00:09.0/resource0" bs=1 skip=512 count=6 status=none | grep -q STILL0 &&
	      ! dd if="$TMP/fxtwo/0000:00:09.0/resource1" bs=1 skip=512 count=6 status=none | grep -q STILL0'
