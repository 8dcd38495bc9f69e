#!/usr/bin/env bash
# trace.t - the VMM's event log (--trace[=CLASSES]) and the guest's
# markers: each line carries a CLOCK_MONOTONIC stamp, the thread and the
# class; the classes asked for and no others appear; every action is
# bracketed by begin/end markers in order, mark=TEXT is logged; a marker
# with a bad address is refused in the log, not followed; QEMU drops the
# marker port's writes and the guest runs on.
source "$(dirname "$0")/lib/tap.sh"
plan 19

LINE='^trace [0-9]+\.[0-9]{9} (vcpu|iothread) (exit|io|cfg|virtio|iothread|irq|pt|mark) '
if kvm_usable; then
	boot_vmm --trace=mark --append "mark=hello-there bench.samples=3 bench=cpuid exit=0" "$GUEST"
	check "--trace=mark: exit 0, every trace line stamped, threaded and classed" \
		eval 'rc_is 0 && ! grep "^trace " <<<"$out" | grep -vqE "$LINE"'
	marks=$(grep -E '^trace .* mark ' <<<"$out" | sed -E 's/^trace [0-9.]+ vcpu mark //' | tr '\n' '|')
	check "each action is bracketed, in order, with its status; mark=TEXT in between" \
		eval '[ "$marks" = "begin mark=hello-there|text hello-there|end mark=hello-there rc=0|begin bench.samples=3|end bench.samples=3 rc=0|begin bench=cpuid|end bench=cpuid rc=0|begin exit=0|" ]' \
		|| diag "got: $marks"
	check "only the class asked for" eval '! grep "^trace " <<<"$out" | grep -vq " vcpu mark "'
	stamps=$(grep '^trace ' <<<"$out" | awk '{print $2}')
	check "stamps never go back" eval '[ "$stamps" = "$(sort -n <<<"$stamps")" ]'

	boot_vmm --trace=exit,io --append "port.write=0x3ff,1,0x5a exit=0" "$GUEST"
	check "--trace=exit,io: the OUT's exit, then what served it, then the re-entry" \
		eval 'grep -A2 "exit KVM_EXIT_IO$" <<<"$out" | tr "\n" "|" | grep -qE "vcpu exit KVM_EXIT_IO\|trace [0-9.]+ vcpu io pio write 0x3ff size 1 <- 0x5a \(COM1[^|]*\)\|trace [0-9.]+ vcpu exit enter\|"'
	check "... and no marker lines (class mark not asked for)" lacks " vcpu mark "

	boot_vmm --trace=mark --append "port.write=0x4ec,4,0xfffff000 exit=0" "$GUEST"
	check "a marker at an address outside guest RAM is logged as bad and ignored; the guest goes on" \
		eval 'rc_is 0 && has "vcpu mark bad marker from guest \(address 0xfffff000\): ignored"'

	truncate -s 64K "$TMP/disk.img"
	boot_vmm --trace=virtio,iothread,irq --disk "$TMP/disk.img" --append "irq=msix blk.read=3" "$GUEST"
	check "--trace=virtio: the driver's handshake by field name, device_status decoded" \
		eval 'rc_is 0 && has "vcpu virtio virtio-blk 00:01\.0 device_status <- ACKNOWLEDGE\|DRIVER\|FEATURES_OK$" &&
		      has "vcpu virtio virtio-blk 00:01\.0 queue_desc_lo <- 0x[0-9a-f]+ \(queue 0\)$" &&
		      has "vcpu virtio virtio-blk 00:01\.0 queue 0 enabled: size [1-9][0-9]* desc 0x"'
	check "--trace=iothread: the ioeventfd, the chain with its descriptors, the request, the used ring" \
		eval 'grep -A3 "iothread iothread virtio-blk 00:01.0 queue 0: notify (1 signal)" <<<"$out" | tr "\n" "|" |
		      grep -qE "popped chain head [0-9]+, 3 descriptors: \[0x[0-9a-f]+ len 16 read\] \[0x[0-9a-f]+ len 512 WRITE\] \[0x[0-9a-f]+ len 1 WRITE\]\|[^|]*virtio-blk request IN \(read\) sector 3 bytes 512: status OK\|[^|]*used ring idx 1 <- head [0-9]+ len 513\|"'
	check "--trace=irq: the MSI-X entry programmed (decoded), then each used ring's interrupt down to its irqfd and GSI" \
		eval 'has "vcpu irq virtio-blk 00:01\.0 MSI-X entry 0: address 0xfee00000 \(APIC ID 0\) data 0x[0-9a-f]+ \(vector [1-9][0-9]*\), unmasked$" &&
		      has "vcpu irq virtio-blk 00:01\.0 MSI-X Message Control: enabled$" &&
		      has "iothread irq virtio-blk 00:01\.0 queue 0 used: vector 0$" &&
		      has "iothread irq virtio-blk 00:01\.0 vector 0: irqfd write \(GSI [0-9]+\)$"'
	boot_vmm --trace=virtio,iothread,irq --no-ioeventfd --disk "$TMP/disk.img" --append "blk.read=0" "$GUEST"
	check "--no-ioeventfd: the notify is an MMIO exit served on the vCPU thread; polled, the driver wants no interrupt" \
		eval 'rc_is 0 && has "vcpu iothread virtio-blk 00:01\.0 queue 0: notify \(MMIO exit, no ioeventfd\)$" &&
		      has "vcpu irq virtio-blk 00:01\.0 queue 0 used: no interrupt, the driver asked for none \(used_event not passed\)$"'
	boot_vmm --trace=virtio --disk "$TMP/disk.img" --append "attack=bad-size" "$GUEST"
	check "attack=bad-size: queue_size <- 12, then the enable refused as DEVICE_NEEDS_RESET" \
		eval 'grep -A3 "queue_size <- 12$" <<<"$out" | grep -q "virtio-blk 00:01.0 device_status |= DEVICE_NEEDS_RESET$"'

	boot_vmm --trace=cfg --disk "$TMP/disk.img" --append "pci=list" "$GUEST"
	check "--trace=cfg: BAR sizing by BDF and register name, with what the register reads after it" \
		has "vcpu cfg 00:01\.0 BAR0 write 0xffffffff \(ecam\) \(sizing\) -> reads 0xffff8004$"
	check "... a dword over two fields names both, a capability by its offset and kind, an empty slot as such" \
		eval 'has "vcpu cfg 00:00\.0 VENDOR_ID\|DEVICE_ID read \(ecam\) -> 0x00081b36$" &&
		      has "vcpu cfg 00:01\.0 cap 0x[0-9a-f]+ MSI-X \+0 read \(ecam\) -> 0x" &&
		      has "vcpu cfg 00:1f\.0 VENDOR_ID read \(ecam\): no function there, reads all-ones$"'

	( cd "$TMP" && python3 "$ROOT/tests/lib/fixture_device.py" fx.config fx.resource >/dev/null &&
	  "$ROOT/scripts/mkfixture" fx.config fx.resource fx/devices >/dev/null )
	boot_vmm --trace=pt,irq --passthrough 0000:00:05.0 --sysfs-root "$TMP/fx/devices" \
		--append "bar.write=00:01.0,0,0x2000,ABCDEFGH" "$GUEST"
	check "--trace=pt: the BAR mapped around its MSI-X page as memory slots, COMMAND forwarded, the table entry decoded" \
		eval 'rc_is 0 && has "vcpu pt 00:01\.0 passthrough BAR0 \(host 0000:00:05\.0\) piece 0: \[0xc0000000, 0xc0002000\) mapped as memory slot [0-9]+ \(no exits\)$" &&
		      has "vcpu pt 00:01\.0 \(host 0000:00:05\.0\) COMMAND <- 0x0002: device gets 0x0002 \(was 0x0000\)$" &&
		      has "vcpu irq 0000:00:05\.0 MSI-X entry 0: address 0x4847464544434241 \(not an APIC address\) data 0x0 \(vector 0\), masked$"'

	boot_vmm --append "mark=x exit=0" "$GUEST"
	check "without --trace: no trace lines at all" eval 'rc_is 0 && lacks "^trace "'
else
	for i in $(seq 16); do skip "the VMM needs /dev/kvm"; done
fi

out=$("$VMM" --trace=exit,bogus "$GUEST" 2>&1); rc=$?
check "--trace=exit,bogus is refused (125), naming the class and the known ones" \
	eval 'rc_is 125 && has "unknown class .bogus. \(known: all, exit, io, cfg, virtio, iothread, irq, pt, mark\)"'
out=$("$VMM" --trace= "$GUEST" 2>&1); rc=$?
check "--trace= (empty) is refused too" eval 'rc_is 125 && has "unknown class"'

if command -v qemu-system-x86_64 >/dev/null; then
	boot_qemu tcg --append "mark=under-qemu exit=7"
	check "QEMU drops the marker port's writes: the guest runs on to exit=7" rc_is 7
else
	skip "qemu-system-x86_64 is not installed"
fi
