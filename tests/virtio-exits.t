#!/usr/bin/env bash
# virtio-exits.t - exits avoided, and more queues: VIRTIO_F_EVENT_IDX on
# both sides and its flag form, the I/O thread's polling, virtio-blk
# multi-queue and GET_ID's serial. What the guest decided (it counts the
# kicks that notified and the ones the ring let it skip) is checked
# against what the VMM saw (--stats), and what went through each queue
# against the host file. The disk benchmarks on a chosen queue and disk
# (blk.queue=, blk.disk=, what scripts/bench --sweep times): each notify
# and request lands on that queue, or that disk, and on no other.
source "$(dirname "$0")/lib/tap.sh"
plan 34

sector() { dd if="$1" bs=512 skip="$2" count=1 2>/dev/null | tr -d '\0'; }
stat_field() { sed -nE "s/^stats: virtio-blk at 00:01\.0: .*[ (]$1 ([0-9]+).*/\\1/p; s/^stats: virtio-blk at 00:01\.0: $1 ([0-9]+).*/\\1/p" <<<"$out" | head -1; }
vmm_notifies() { sed -nE 's/^stats: virtio-blk at 00:01\.0: notifies ([0-9]+) .*/\1/p' <<<"$out"; }
disk="$TMP/d.img"
truncate -s 64K "$disk"

# Option refusals need no KVM.
for bad in queues=0 queues=65 queues=4k serial=123456789012345678901; do
	out=$("$VMM" --disk "$disk,$bad" "$GUEST" 2>&1); rc=$?
	check "--disk FILE,$bad is refused (125), naming it" eval "rc_is 125 && has '${bad%%=*}='"
done

if kvm_usable; then
	# A burst: 8 reads, each kicked on its own without waiting. With
	# EVENT_IDX a kick notifies only if its entry crosses avail_event.
	boot_vmm --stats --disk "$disk" --append "blk.burst=8" "$GUEST"
	n=$(sed -nE 's/^blk: burst of 8: kicks 8, notifies ([0-9]+), skipped ([0-9]+), .*EVENT_IDX\)$/\1 \2/p' <<<"$out")
	check "EVENT_IDX burst: every kick notified or was let off by avail_event (notifies + skipped = 8: $n)" \
		eval '[ -n "$n" ] && [ $(( ${n% *} + ${n#* } )) -eq 8 ] && [ "${n% *}" -ge 1 ]'
	check "... and the VMM saw exactly the guest's notifies ($(vmm_notifies) vs ${n% *}), for 8 requests" \
		eval '[ "$(vmm_notifies)" = "${n% *}" ] && has "requests 8, "'
	boot_vmm --stats --no-event-idx --disk "$disk" --append "blk.burst=8 virtio=list" "$GUEST"
	check "--no-event-idx: the flag form, one notify per kick (8, none skipped), all 8 seen by the VMM" \
		eval 'has "^blk: burst of 8: kicks 8, notifies 8, skipped 0, .*flags\)$" && [ "$(vmm_notifies)" = 8 ]'
	check "... and virtio=list does not name VIRTIO_RING_F_EVENT_IDX" lacks "negotiated:.*RING_F_EVENT_IDX"
	boot_vmm --disk "$disk" --append "virtio=list" "$GUEST"
	check "by default VIRTIO_RING_F_EVENT_IDX is negotiated (virtio=list)" has "negotiated:.*VIRTIO_RING_F_EVENT_IDX"
	boot_vmm --disk "$disk" --append "virtio.event_idx=0 virtio=list" "$GUEST"
	check "virtio.event_idx=0: the guest does not take it" lacks "negotiated:.*RING_F_EVENT_IDX"

	# Batches of 8 reads, one kick each: one notify, and with MSI-X and
	# EVENT_IDX one interrupt, per batch (used_event = the last entry).
	boot_vmm --stats --disk "$disk" --append "bench.samples=3 bench=blk_batch_msix,blk_batch_poll" "$GUEST"
	check "blk_batch_msix with EVENT_IDX: 0.125 notifies and 0.125 interrupts per request" \
		has "^bench blk_batch_msix .* notifies_per_op=0\.125 interrupts_per_op=0\.125 "
	check "blk_batch_poll: 0.125 notifies per request, no interrupts" \
		has "^bench blk_batch_poll .* notifies_per_op=0\.125 interrupts_per_op=0\.000 "
	# The same burst as a bench test (blk_burst_poll): each of 8 reads kicked on its own.
	boot_vmm --stats --disk "$disk" --append "bench.samples=3 bench=blk_burst_poll" "$GUEST"
	npo=$(sed -nE 's/^bench blk_burst_poll .* notifies_per_op=([0-9.]+) .*/\1/p' <<<"$out")
	boot_vmm --stats --no-event-idx --disk "$disk" --append "bench.samples=3 bench=blk_burst_poll" "$GUEST"
	npo_flags=$(sed -nE 's/^bench blk_burst_poll .* notifies_per_op=([0-9.]+) .*/\1/p' <<<"$out")
	# How many kicks a burst lets off depends on whether the device keeps
	# up (a loaded host runs the I/O thread between the kicks): the bench
	# reports it; here, only what holds either way.
	check "blk_burst_poll: each burst notified at least once, each kick at most once, with EVENT_IDX ($npo notifies per request) and the flag form ($npo_flags)" \
		python3 -c "import sys; sys.exit(not all(0.125 <= float(x) <= 1 for x in sys.argv[1:]))" "${npo:-9}" "${npo_flags:-9}"
	boot_vmm --stats --no-event-idx --disk "$disk" --append "blk.burst=8" "$GUEST"
	wanted_not=$(sed -nE 's/.* ([0-9]+) not wanted by the driver.*/\1/p' <<<"$out")
	check "flag form, polled: VIRTQ_AVAIL_F_NO_INTERRUPT heeded ($wanted_not used-ring updates not interrupted, 0 sent)" \
		eval '[ "${wanted_not:-0}" -ge 1 ] && has "interrupts 0 sent"'

	# The I/O thread polls: requests found without a notify.
	boot_vmm --stats --iothread-poll=2000 --disk "$disk" --append "bench.samples=3 bench=blk_read_poll" "$GUEST"
	polled=$(sed -nE 's/.* ([0-9]+) requests found by polling.*/\1/p' <<<"$out")
	check "--iothread-poll=2000: requests found by polling ($polled of 64), fewer notifies than requests" \
		eval '[ "${polled:-0}" -ge 1 ] && [ "$(vmm_notifies)" -lt 64 ] && ! grep -q "notifies_per_op=1\.000" <<<"$out"'

	# Multi-queue: a marker through each queue, read back through another.
	boot_vmm --stats --disk "$disk,queues=4,serial=disk-42" --append "blk.queues=64 blk.mq=mark blk.id virtio=list" "$GUEST"
	check "queues=4: the guest drives 4 queues (of the 64 it would take), each write and read back ok" \
		eval 'rc_is 0 && has "^blk: mq: 4 queues \(device has 4\): .*: ok" && has "negotiated:.*VIRTIO_BLK_F_MQ"'
	check "... the host file holds each queue's marker in its sector" \
		eval '[ "$(sector "$disk" 0)" = "mark 0" ] && [ "$(sector "$disk" 3)" = "mark 3" ] && [ "$(sector "$disk" 2)" = "mark 2" ]'
	check "... each queue served its write and read through its own ioeventfd, queue 0 GET_ID too (--stats per queue)" \
		eval '[ "$(grep -cE "^stats: virtio-blk at 00:01\.0 queue [1-3]: notifies 2, requests 2$" <<<"$out")" = 3 ] &&
		      has "^stats: virtio-blk at 00:01\.0 queue 0: notifies 3, requests 3$"'
	check "... queue 3's notify address is its own (queue_notify_off 3 * multiplier 4)" \
		has "queue 3 notify: .* queue_notify_off 3 \* multiplier 4 = 0x[0-9a-f]+c$"
	check "serial=disk-42: GET_ID answers it" has "^blk: id 'disk-42'$"
	boot_vmm --disk "$disk,queues=64" --append "blk.queues=64 irq=msix blk.mq=m64 blk.id" "$GUEST"
	check "queues=64 with MSI-X: all 64 carry a write and a read; sector 63 holds queue 63's marker" \
		eval 'has "^blk: mq: 64 queues \(device has 64\)" && [ "$(sector "$disk" 63)" = "m64 63" ]'
	check "without serial=, GET_ID answers exitlab-disk" has "^blk: id 'exitlab-disk'$"

	# The disk benchmarks on a chosen queue: 5 samples and a warm-up
	# batch, 512 notifies or 16 reads each, all on that queue.
	boot_vmm --stats --disk "$disk,queues=64" --append "blk.queues=64 blk.queue=last virtio=list bench.samples=5 bench=notify,blk_read_poll" "$GUEST"
	q0=$(sed -nE 's/^virtio 00:01\.0 virtio-blk .* queue=0 size=[0-9]+ notify=(0x[0-9a-f]+) .*/\1/p' <<<"$out")
	want=$(printf '0x%x' $(( ${q0:-0} + 63 * 4 )))
	check "blk.queue=last of 64: notify and blk_read_poll time queue 63, at its own address ($want: queue 0's $q0 + 63 * 4)" \
		eval '[ -n "$q0" ] && [ "$(grep -cE "^bench (notify|blk_read_poll) .* disk=0 disks=1 bdf=00:01\.0 queue=63 queues=64 notify_addr=$want " <<<"$out")" = 2 ]'
	check "... --stats: queue 63 got all 3072 + 96 notifies and the 96 reads, the other 63 queues none" \
		eval 'has "^stats: virtio-blk at 00:01\.0 queue 63: notifies 3168, requests 96$" &&
		      [ "$(grep -cE "^stats: virtio-blk at 00:01\.0 queue ([0-9]|[1-5][0-9]|6[0-2]): notifies 0, requests 0$" <<<"$out")" = 63 ]'
	boot_vmm --stats --disk "$disk,queues=64" --append "blk.queues=64 blk.queue=17 bench.samples=5 bench=notify" "$GUEST"
	check "blk.queue=17: its 3072 notifies all on queue 17, none on any other" \
		eval 'has "^bench notify .* queue=17 queues=64 " && has "^stats: virtio-blk at 00:01\.0 queue 17: notifies 3072, requests 0$" &&
		      [ "$(grep -cE "^stats: virtio-blk at 00:01\.0 queue [0-9]+: notifies 0, requests 0$" <<<"$out")" = 63 ]'

	# ... and on a chosen disk of three, each with its own mark in sector 0.
	for n in 1 2 3; do truncate -s 64K "$TMP/d$n.img"; printf "disk-$n" | dd of="$TMP/d$n.img" conv=notrunc 2>/dev/null; done
	DISKS=(--disk "$TMP/d1.img" --disk "$TMP/d2.img" --disk "$TMP/d3.img")
	boot_vmm --stats "${DISKS[@]}" --append "blk.disk=last bench.samples=5 bench=notify,blk_read_poll" "$GUEST"
	check "blk.disk=last of 3: notify and blk_read_poll time disk 2 at 00:03.0" \
		eval '[ "$(grep -cE "^bench (notify|blk_read_poll) .* disk=2 disks=3 bdf=00:03\.0 queue=0 queues=1 " <<<"$out")" = 2 ]'
	check "... --stats: 00:03.0 got the 3168 notifies and 96 reads, 00:01.0 and 00:02.0 nothing" \
		eval 'has "^stats: virtio-blk at 00:03\.0: notifies 3168 \(ioeventfd\), requests 96, " &&
		      [ "$(grep -cE "^stats: virtio-blk at 00:0[12]\.0: notifies 0 \(ioeventfd\), requests 0, " <<<"$out")" = 2 ]'
	boot_vmm --stats "${DISKS[@]}" --append "blk.read=0 blk.disk=1 blk.read=0 blk.disk=0 blk.read=0 blk.disk=last blk.read=0" "$GUEST"
	marks=$(sed -nE 's/^blk 0: 000: .*\|(disk-[0-9])\.*\|$/\1/p' <<<"$out" | tr '\n' ' ')
	check "blk.disk= switches disks, the one before reset: sector 0 reads disk-1 disk-2 disk-1 disk-3 ($marks)" \
		eval 'rc_is 0 && [ "$marks" = "disk-1 disk-2 disk-1 disk-3 " ] && has "^stats: virtio-blk at 00:01\.0: .* requests 2, " &&
		      has "^stats: virtio-blk at 00:02\.0: .* requests 1, " && has "^stats: virtio-blk at 00:03\.0: .* requests 1, "'
	boot_vmm --trace=virtio "${DISKS[@]}" --append "blk.read=0 blk.disk=1 blk.read=0" "$GUEST"
	seq=$(sed -nE 's/^trace [0-9.]+ vcpu virtio virtio-blk (00:0[0-9]\.0) device_status <- (.*)$/\1=\2/p' <<<"$out" | tr '\n' ' ')
	check "... reset: 00:01.0's status goes back to 0 after DRIVER_OK, before 00:02.0 is started" \
		grep -qF "00:01.0=ACKNOWLEDGE|DRIVER|FEATURES_OK|DRIVER_OK 00:01.0=0 00:02.0=0 " <<<"$seq"
	boot_vmm "${DISKS[@]}" --append "blk.queue=5 bench.samples=3 bench=notify blk.disk=3 bench=blk_read_poll" "$GUEST"
	check "a queue or disk that is not there: the benchmark is skipped, saying why" \
		eval 'rc_is 0 && has "^bench notify skipped: blk\.queue=5, but the disk is driven with 1 queue \(blk\.queues=\)$" &&
		      has "^bench blk_read_poll skipped: blk\.disk=3, but there are 3 virtio-blk devices$"'
	boot_vmm "${DISKS[@]}" --append "blk.queue=64" "$GUEST"
	r1=$rc o1=$out
	boot_vmm "${DISKS[@]}" --append "blk.disk=first" "$GUEST"
	check "blk.queue=64 and blk.disk=first are refused (2), naming the action and the range" \
		eval '[ "$r1" = 2 ] && grep -q "error: blk.queue: .64. is not .last. or a number from 0 to 63" <<<"$o1" && rc_is 2 &&
		      has "error: blk\.disk: .first. is not .last. or a number from 0 to 255"'
else
	for i in $(seq 27); do skip "the VMM needs /dev/kvm"; done
fi

if command -v qemu-system-x86_64 >/dev/null; then
	qdisk="$TMP/q.img"
	truncate -s 64K "$qdisk" "$TMP/q2.img"
	boot_qemu tcg --append "blk.queues=8 blk.mq=qemu blk.id" -- \
		-drive "file=$qdisk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0,num-queues=4,serial=qserial
	check "QEMU-TCG num-queues=4: the guest drives all 4, markers written and read back" \
		eval 'rc_is 0 && has "^blk: mq: 4 queues \(device has 4\)" && [ "$(sector "$qdisk" 3)" = "qemu 3" ]'
	check "... and QEMU's GET_ID answers its serial=" has "^blk: id 'qserial'$"
	boot_qemu tcg --append "blk.disk=last blk.queues=4 blk.queue=last bench.samples=3 bench=notify,blk_read_poll" -- \
		-drive "file=$qdisk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0 \
		-drive "file=$TMP/q2.img,if=none,id=d1,format=raw" -device virtio-blk-pci,drive=d1,num-queues=4
	check "QEMU-TCG, two disks, the second of 4 queues: blk.disk=last blk.queue=last time queue 3 of disk 1" \
		eval 'rc_is 0 && [ "$(grep -cE "^bench (notify|blk_read_poll) .* disk=1 disks=2 bdf=[0-9a-f:.]+ queue=3 queues=4 " <<<"$out")" = 2 ]'
else
	for i in 1 2 3; do skip "qemu-system-x86_64 is not installed"; done
fi
