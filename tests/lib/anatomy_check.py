#!/usr/bin/env python3
"""anatomy_check.py - checks on scripts/anatomy's timeline for tests/anatomy.t.

  notify-address DUMP BDF QNOFF   the notify address of queue_notify_off
                                  QNOFF, from the function's capabilities in
                                  a --dump-pci file (lspci -xxxx format):
                                  BAR[cap.bar] + cap.offset + QNOFF * multiplier
  ioeventfd ADDR < TIMELINE       the notify with an ioeventfd: kvm_mmio write
                                  at ADDR, no userspace exit for it, then the
                                  I/O thread's notify, chain, request, used
                                  ring, irqfd, then the kernel's MSI
  no-ioeventfd ADDR < TIMELINE    the notify without: a userspace exit at ADDR
                                  served on the vCPU thread
  cf8 < TIMELINE                  the first config read through 0xCF8/0xCFC:
                                  two PIO exits, one register decoded
  ecam < TIMELINE                 the first through ECAM: one MMIO exit
  no-event ADDR_LO ADDR_HI < TIMELINE   no MMIO event or exit in [LO, HI)
  msix-store ADDR < TIMELINE      one trapped exit at ADDR, the entry decoded
Each prints what it found and exits 1 when the check fails. KERNEL=0 in
the environment: the kernel's lines are not expected (no perf).
"""
import os
import re
import sys

KERNEL = os.environ.get("KERNEL", "1") == "1"
ROW = re.compile(r"^ +[0-9.]+ +[0-9.]+  (\S+) +(\S+) +(.*)$")


def timeline():
    return [m.groups() for m in map(ROW.match, sys.stdin.read().splitlines()) if m]


def fail(msg, rows=()):
    print("FAIL:", msg)
    for r in rows[:40]:
        print("  ", " ".join(r))
    sys.exit(1)


def notify_address(dump, bdf, qnoff):
    cfg, cur = {}, None
    for line in open(dump):
        m = re.match(r"^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ", line)
        if m:
            cur = m.group(1)
            cfg[cur] = bytearray()
            continue
        m = re.match(r"^([0-9a-f]+): ((?:[0-9a-f]{2} ?)+)$", line.strip())
        if m and cur:
            cfg[cur] += bytes(int(x, 16) for x in m.group(2).split())
    c = cfg[bdf]
    u32 = lambda o: int.from_bytes(c[o:o + 4], "little")

    def bar(n):
        lo = u32(0x10 + 4 * n)
        if lo & 1:
            return lo & ~3
        v = lo & ~0xf
        if (lo >> 1) & 3 == 2:
            v |= u32(0x14 + 4 * n) << 32
        return v
    p, seen = c[0x34] & 0xfc, 0
    while p and seen < 48:
        if c[p] == 0x09 and c[p + 3] == 2:  # vendor-specific, VIRTIO_PCI_CAP_NOTIFY_CFG
            b, off, mult = c[p + 4], u32(p + 8), u32(p + 16)
            addr = bar(b) + off + qnoff * mult
            print(f"BAR{b} {bar(b):#x} + cap.offset {off:#x} + queue_notify_off {qnoff} * multiplier {mult} = {addr:#x}")
            return addr
        p, seen = c[p + 1] & 0xfc, seen + 1
    fail(f"no notify capability on {bdf}")


def index(rows, pred, start=0):
    for i in range(start, len(rows)):
        if pred(rows[i]):
            return i
    return None


def at(addr):
    return re.compile(rf"\b(gpa )?{addr:#x}\b")


def check_ioeventfd(rows, addr):
    a = at(addr)
    if KERNEL:
        i = index(rows, lambda r: r[0] == "kvm" and "kvm_mmio: mmio write" in r[2] and a.search(r[2]))
        if i is None:
            fail(f"no kvm_mmio write at {addr:#x}", rows)
        nxt = index(rows, lambda r: r[0] == "kvm" and r[1] == rows[i][1], i + 1)
        if nxt is not None and "kvm_userspace_exit" in rows[nxt][2]:
            fail("the notify's kvm_mmio is followed by a userspace exit", rows[i:nxt + 1])
    else:
        i = 0
    if any(r[0] == "vmm" and a.search(r[2]) for r in rows):
        fail(f"the VMM saw an exit at {addr:#x}", [r for r in rows if a.search(r[2])])
    want = [("iothread", r"iothread: virtio-blk \S+ queue 0: notify \(\d+ signals?\)"),
            ("iothread", r"popped chain head \d+, 3 descriptors"),
            ("iothread", r"virtio-blk request IN \(read\) sector 0 bytes 512: status OK"),
            ("iothread", r"used ring idx \d+ <- head \d+ len 513"),
            ("iothread", r"irq: virtio-blk \S+ vector 0: irqfd write \(GSI \d+\)")]
    if KERNEL:
        want.append(("kvm", r"kvm_msi_set_irq: "))
    j = i
    for layer, rx in want:
        k = index(rows, lambda r: r[0] == layer and re.search(rx, r[2]), j + 1 if KERNEL or j else j)
        if k is None:
            fail(f"after line {j}: no {layer} line /{rx}/", rows[j:])
        print(f"{layer}: {rows[k][2]}")
        j = k


def check_no_ioeventfd(rows, addr):
    a = at(addr)
    i = index(rows, lambda r: r[0] == "vmm" and r[1] == "vcpu" and r[2].startswith("io: mmio write") and a.search(r[2]))
    if i is None:
        fail(f"no userspace exit served at {addr:#x}", rows)
    e = max(k for k in range(i) if rows[k][2] == "exit: KVM_EXIT_MMIO")
    n = [r for r in rows[e:i] if r[1] == "vcpu" and "notify (MMIO exit, no ioeventfd)" in r[2]]
    if not n:
        fail("the exit's handler did not serve the notify on the vCPU thread", rows[e:i + 1])
    if KERNEL:
        k = [r for r in rows[max(0, e - 3):e] if r[0] == "kvm"]
        if not (len(k) >= 2 and "kvm_mmio: mmio write" in k[-2][2] and a.search(k[-2][2])
                and "kvm_userspace_exit: reason KVM_EXIT_MMIO" in k[-1][2]):
            fail("the exit is not preceded by kvm_mmio at the address and kvm_userspace_exit", rows[e - 3:i + 1])
    if any(r[0] == "iothread" for r in rows):
        fail("the I/O thread took part", [r for r in rows if r[0] == "iothread"])
    print(f"vcpu: {n[0][2]} / {rows[i][2]}")


def first_cfg_read(rows, mech):
    c = index(rows, lambda r: re.match(rf"cfg: \S+ \S+ read \({mech}\) -> 0x", r[2]))
    if c is None:
        fail(f"no config read through {mech}", rows)
    # back to the exit before the config access began
    return c


def exits_between(rows, lo, hi):
    return [r for r in rows[lo:hi] if r[0] == "vmm" and r[2].startswith("exit: KVM_EXIT")]


def check_cf8(rows):
    c = first_cfg_read(rows, "cf8")
    w = max(k for k in range(c) if re.match(r"io: pio write 0xcf8 size 4 <- 0x8", rows[k][2]))
    s = max(k for k in range(w) if rows[k][2] == "exit: KVM_EXIT_IO")
    e = index(rows, lambda r: r[2] == "exit: enter", c)
    ex = exits_between(rows, s, e)
    regs = [r for r in rows[s:e] if r[2].startswith("cfg: ")]
    if len(ex) != 2 or len(regs) != 1 or not re.search(r"io: pio read 0xcfc", " ".join(r[2] for r in rows[c:e])):
        fail("not two PIO exits (0xcf8 write, 0xcfc read) for one register", rows[s:e + 1])
    if KERNEL:
        k = [r for r in rows[max(0, s - 3):e + 3] if r[0] == "kvm" and "kvm_pio" in r[2]]
        if not (any("pio_write at 0xcf8" in r[2] for r in k) and any("pio_read at 0xcfc" in r[2] for r in k)):
            fail("no kvm_pio for 0xcf8 and 0xcfc", rows[s - 3:e + 3])
    print(f"2 exits, {regs[0][2]}")


def check_ecam(rows):
    c = first_cfg_read(rows, "ecam")
    s = max(k for k in range(c) if rows[k][2] == "exit: KVM_EXIT_MMIO")
    e = index(rows, lambda r: r[2] == "exit: enter", c)
    prev = max(k for k in range(s) if rows[k][2] == "exit: enter")
    if len(exits_between(rows, prev, e)) != 1 or not any(r[2].startswith("io: mmio read 0xb") for r in rows[c:e]):
        fail("not one MMIO exit for the register", rows[prev:e + 1])
    if KERNEL and not any(r[0] == "kvm" and "kvm_mmio: mmio" in r[2] for r in rows[prev:s]):
        fail("no kvm_mmio before the exit", rows[prev:e + 1])
    print(f"1 exit, {rows[c][2]}")


def check_no_event(rows, lo, hi):
    bad = []
    for r in rows:
        for m in re.finditer(r"0x([0-9a-f]+)", r[2]):
            if lo <= int(m.group(1), 16) < hi and ("mmio" in r[2] or r[2].startswith("irq")):
                bad.append(r)
    if bad:
        fail(f"events in [{lo:#x}, {hi:#x})", bad)
    other = [r for r in rows if r[2].startswith("io: mmio") and "(PCI ECAM)" not in r[2]]
    if other:
        fail("an MMIO exit other than a config access inside the action", other)
    print(f"no event in [{lo:#x}, {hi:#x}), no MMIO exit but config accesses")


def check_msix_store(rows, addr):
    a = at(addr)
    io = [i for i, r in enumerate(rows) if r[0] == "vmm" and r[2].startswith("io: mmio write") and a.search(r[2])]
    if len(io) != 1:
        fail(f"{len(io)} exits at {addr:#x}, not one", rows)
    e = max(k for k in range(io[0]) if rows[k][2] == "exit: KVM_EXIT_MMIO")
    dec = [r for r in rows[e:io[0]] if re.match(r"irq: \S+ MSI-X entry 0: address 0x[0-9a-f]+ .* data 0x[0-9a-f]+ \(vector \d+\)", r[2])]
    if not dec:
        fail("the trapped store is not decoded as an MSI-X entry", rows[e:io[0] + 1])
    print(f"1 exit: {dec[0][2]}")


def main():
    op = sys.argv[1]
    num = lambda s: int(s, 0)
    if op == "notify-address":
        notify_address(sys.argv[2], sys.argv[3], num(sys.argv[4]))
        return
    rows = timeline()
    {"ioeventfd": lambda: check_ioeventfd(rows, num(sys.argv[2])),
     "no-ioeventfd": lambda: check_no_ioeventfd(rows, num(sys.argv[2])),
     "cf8": lambda: check_cf8(rows), "ecam": lambda: check_ecam(rows),
     "no-event": lambda: check_no_event(rows, num(sys.argv[2]), num(sys.argv[3])),
     "msix-store": lambda: check_msix_store(rows, num(sys.argv[2]))}[op]()


if __name__ == "__main__":
    main()
