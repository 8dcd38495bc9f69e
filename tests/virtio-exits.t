#!/usr/bin/env bash
# virtio-exits.t - exits avoided, and more queues: VIRTIO_F_EVENT_IDX on
# both sides and its flag form, the I/O thread's polling, virtio-blk
# multi-queue and GET_ID's serial. What the guest decided (it counts the
# kicks that notified and the ones the ring let it skip) is checked
# against what the VMM saw (--stats), and what went through each queue
# against the host file.
source "$(dirname "$0")/lib/tap.sh"
plan 25

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
	boot_vmm --stats --disk "$disk,queues=64" \
		--append "blk.queues=64 blk.bench_queue=63 bench.samples=3 bench=notify,blk_read_poll" "$GUEST"
	check "blk.bench_queue=63: the notify and polled-read benches go through queue 63 only (--stats per queue)" \
		eval 'rc_is 0 && has "^bench notify iters=" && has "^bench blk_read_poll iters=" &&
		      grep -qE "^stats: virtio-blk at 00:01\.0 queue 63: notifies [0-9]{4,}, requests [1-9]" <<<"$out" &&
		      lacks "^stats: virtio-blk at 00:01\.0 queue 0: notifies [1-9]"'
	boot_vmm --disk "$disk" --append "blk.bench_queue=3 bench=notify" "$GUEST"
	check "... and a queue the driver did not set up is refused, saying so" \
		has "^bench notify skipped: blk.bench_queue is not a queue the driver set up"
else
	for i in $(seq 19); do skip "the VMM needs /dev/kvm"; done
fi

if command -v qemu-system-x86_64 >/dev/null; then
	qdisk="$TMP/q.img"
	truncate -s 64K "$qdisk"
	boot_qemu tcg --append "blk.queues=8 blk.mq=qemu blk.id" -- \
		-drive "file=$qdisk,if=none,id=d0,format=raw" -device virtio-blk-pci,drive=d0,num-queues=4,serial=qserial
	check "QEMU-TCG num-queues=4: the guest drives all 4, markers written and read back" \
		eval 'rc_is 0 && has "^blk: mq: 4 queues \(device has 4\)" && [ "$(sector "$qdisk" 3)" = "qemu 3" ]'
	check "... and QEMU's GET_ID answers its serial=" has "^blk: id 'qserial'$"
else
	skip "qemu-system-x86_64 is not installed"
	skip "qemu-system-x86_64 is not installed"
fi
