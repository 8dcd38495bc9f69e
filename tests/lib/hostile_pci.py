#!/usr/bin/env python3
"""hostile_pci.py - write malformed PCI config spaces for build/vmm --pci-raw.

    tests/lib/hostile_pci.py OUTDIR          writes OUTDIR/NAME.bin for every case
    tests/lib/hostile_pci.py --list          prints NAME  what-is-wrong, one a line

Each case starts from a plausible function (a type-0 endpoint, a type-1
bridge, or a virtio-blk, 1af4:1042, whose virtio structures and MSI-X table
sit in a 64-bit BAR0) and breaks one thing, the way a buggy or hostile
device would. The VMM serves the bytes read-only with nothing behind the
BARs, so BAR sizing reads back what is written here and every BAR access
is an unclaimed one. tests/hostile-pci.t boots the guest on each and says
what the guest must report. Output is the same on every run (the garbage
cases use a fixed seed).

A case is one function at 00:01.0, or a Topology: NAME.bin at a place of
its choosing, more functions (NAME.K.cfg) at theirs, and other VMM devices
(a --pci-bridge, an --rng behind it) around them; then NAME.args holds the
VMM options that build it, one a line, {} standing for OUTDIR.

A Regs case is a virtio-blk whose BAR0 is backed by NAME.regs (--pci-raw
NAME.bin,bar0=NAME.regs): registers the guest reads and writes like
memory, so its driver gets through reset and feature negotiation to queue
setup, where the file lies in one field. Being memory, a select register
selects nothing: device_feature reads the same for both halves, every
queue's fields are queue 0's. Nothing ever completes a request.
"""
import random
import struct
import sys

# PCI 3.0 §6.1 and virtio 1.x §4.1.4 offsets, as in common/pci_regs.h.
VENDOR, DEVICE, COMMAND, STATUS, CLASS_REV = 0x00, 0x02, 0x04, 0x06, 0x08
HEADER_TYPE, BAR0, CAP_PTR = 0x0e, 0x10, 0x34
PRIMARY, SECONDARY, SUBORDINATE = 0x18, 0x19, 0x1a
STATUS_CAP_LIST = 0x10
CAP_PM, CAP_MSI, CAP_VNDR, CAP_EXP, CAP_MSIX = 0x01, 0x05, 0x09, 0x10, 0x11
VIRTIO_COMMON, VIRTIO_NOTIFY, VIRTIO_ISR, VIRTIO_DEVICE = 1, 2, 3, 4

# The good virtio-blk's BAR0, 64-bit. Read-only, so sizing reads the
# address back and takes its lowest set bit for the size: 32 KiB here.
VBAR_ADDR = 0xc0008000


class Cfg:
    def __init__(self, size=256):
        self.b = bytearray(size)

    def put(self, off, fmt, *v):
        struct.pack_into("<" + fmt, self.b, off, *v)

    def cap(self, off, cap_id, nxt, body=b""):
        """A standard capability: ID, next pointer, then its body."""
        self.b[off] = cap_id
        self.b[off + 1] = nxt
        self.b[off + 2:off + 2 + len(body)] = body


def endpoint(vendor=0x1234, device=0x5678, class_code=0xff0000, size=256, caps=True):
    """A type-0 function; with caps, STATUS says there is a list at 0x40."""
    c = Cfg(size)
    c.put(VENDOR, "HH", vendor, device)
    c.put(CLASS_REV, "I", class_code << 8 | 1)
    if caps:
        c.put(STATUS, "H", STATUS_CAP_LIST)
        c.b[CAP_PTR] = 0x40
    return c


def bar64(c, n, addr):
    """Firmware put a 64-bit prefetchable memory BAR n (and n + 1) at addr."""
    c.put(BAR0 + 4 * n, "II", (addr & 0xfffffff0) | 0x4 | 0x8, addr >> 32)


def virtio_cap(cfg_type, bar, offset, length, cap_len=16, extra=b""):
    """Body of struct virtio_pci_cap after cap_vndr/cap_next (§4.1.4)."""
    return struct.pack("<BBBBxxII", cap_len, cfg_type, bar, 0, offset, length) + extra


def virtio_blk(size=256, common=None, notify=None, isr=None, device=None, msix=None, bar=None):
    """A virtio-blk like the VMM's: caps at 0x40, 0x50, 0x64, 0x74, MSI-X at
    0x84. Any of the structures can be replaced by (bar, offset, length)
    or, for notify, (bar, offset, length, multiplier); msix by (flags,
    table, pba)."""
    c = endpoint(0x1af4, 0x1042, 0x018000, size)
    if bar is None:
        bar64(c, 0, VBAR_ADDR)
    else:
        c.put(BAR0, "II", *bar)
    cb, co, cl = common or (0, 0x0000, 0x38)
    nb, no, nl, nm = notify or (0, 0x3000, 0x4, 4)
    ib, io, il = isr or (0, 0x1000, 0x1)
    db, do, dl = device or (0, 0x2000, 0x40)
    flags, table, pba = msix or (0x0001, 0x4000 | 0, 0x5000 | 0)
    c.cap(0x40, CAP_VNDR, 0x50, virtio_cap(VIRTIO_COMMON, cb, co, cl))
    c.cap(0x50, CAP_VNDR, 0x64, virtio_cap(VIRTIO_NOTIFY, nb, no, nl, 20, struct.pack("<I", nm)))
    c.cap(0x64, CAP_VNDR, 0x74, virtio_cap(VIRTIO_ISR, ib, io, il))
    c.cap(0x74, CAP_VNDR, 0x84, virtio_cap(VIRTIO_DEVICE, db, do, dl))
    c.cap(0x84, CAP_MSIX, 0x00, struct.pack("<HII", flags, table, pba))
    return c


def bridge(primary, secondary, subordinate):
    """A PCI-to-PCI bridge (type 1) with the bus numbers given."""
    c = Cfg()
    c.put(VENDOR, "HH", 0x1b36, 0x0001)
    c.put(CLASS_REV, "I", 0x060400 << 8)
    c.b[HEADER_TYPE] = 0x01
    c.b[PRIMARY], c.b[SECONDARY], c.b[SUBORDINATE] = primary, secondary, subordinate
    return c


class Topology:
    """NAME.bin (main) at `at`, the other functions at theirs, the extra
    VMM options first (bridges are declared there)."""

    def __init__(self, main, at, others=(), extra=()):
        self.main, self.at, self.others, self.extra = main, at, list(others), list(extra)

    def args(self, name):
        a = list(self.extra) + ["--pci-raw", f"{{}}/{name}.bin@{self.at}"]
        for k, (at, cfg) in enumerate(self.others):
            a += ["--pci-raw", f"{{}}/{name}.{k}.cfg@{at}"]
        return a


# Virtio 1.x §4.1.4.3, struct virtio_pci_common_cfg (common/virtio_pci.h).
DEVICE_FEATURE, NUM_QUEUES, DEVICE_STATUS = 0x04, 0x12, 0x14
QUEUE_SIZE, QUEUE_NOTIFY_OFF = 0x18, 0x1e
VIRTIO_F_VERSION_1 = 32


class Regs:
    """A virtio-blk (virtio_blk(), its BAR0 writable and 32 KiB) with
    NAME.regs behind BAR0: a device that answers the handshake. Fields
    given as keyword arguments replace the good values."""

    def __init__(self, cfg=None, feature=1 << (VIRTIO_F_VERSION_1 - 32), num_queues=1, queue_size=256,
                 queue_notify_off=0, capacity=2048, extra=(), copies=1):
        self.main, self.extra, self.copies = cfg or virtio_blk(), list(extra), copies
        self.regs = bytearray(0x8000)
        struct.pack_into("<I", self.regs, DEVICE_FEATURE, feature)
        struct.pack_into("<H", self.regs, NUM_QUEUES, num_queues)
        struct.pack_into("<H", self.regs, QUEUE_SIZE, queue_size)
        struct.pack_into("<H", self.regs, QUEUE_NOTIFY_OFF, queue_notify_off)
        struct.pack_into("<Q", self.regs, 0x2000, capacity)  # virtio_blk_config.capacity, in sectors

    def args(self, name):
        return self.extra + ["--pci-raw", f"{{}}/{name}.bin,bar0={{}}/{name}.regs"] * self.copies


def noise(seed, vendor=0x1234, device=0x6666, header_type=None):
    """256 random bytes with a vendor ID (so the function is there)."""
    rng = random.Random(seed)
    c = Cfg()
    c.b[:] = bytes(rng.randrange(256) for _ in range(256))
    c.put(VENDOR, "HH", vendor, device)
    if header_type is not None:
        c.b[HEADER_TYPE] = header_type
    return c


def pcie_endpoint():
    """A 4 KiB PCIe endpoint: a PCI Express capability at 0x40, so the
    guest reads the extended space (through ECAM)."""
    c = endpoint(size=4096)
    c.cap(0x40, CAP_EXP, 0x00, struct.pack("<H", 0x0002) + bytes(0x3a))  # v2, endpoint
    return c


def ext_cap(c, off, cap_id, nxt, version=1):
    c.put(off, "I", nxt << 20 | version << 16 | cap_id)


def garbage(seed, vendor, device, hdr):
    """Random bytes under a valid vendor ID, header type and cap-list bit."""
    rnd = random.Random(seed)
    c = Cfg()
    c.b[:] = bytes(rnd.randrange(256) for _ in range(256))
    c.put(VENDOR, "HH", vendor, device)
    c.b[HEADER_TYPE] = hdr
    c.b[STATUS] |= STATUS_CAP_LIST
    return c


def case_cap_loop():
    """capability list loops: 0x40 -> 0x50 -> 0x40"""
    c = endpoint()
    c.cap(0x40, CAP_PM, 0x50, struct.pack("<H", 3) + bytes(4))
    c.cap(0x50, CAP_VNDR, 0x40, b"\x04")
    return c


def case_cap_ptr_low():
    """capability pointer 0x20, into the header"""
    c = endpoint()
    c.b[CAP_PTR] = 0x20
    return c


def case_cap_ptr_ff():
    """capability pointer 0xff (unaligned; at 0xfc a cap running past 0xff)"""
    c = endpoint()
    c.b[CAP_PTR] = 0xff  # masked to 0xfc: a vendor cap running past 0xff
    c.cap(0xfc, CAP_VNDR, 0x00, b"\x10")
    return c


def case_cap_unaligned():
    """capability pointer 0x41, not dword aligned"""
    c = endpoint()
    c.b[CAP_PTR] = 0x41
    c.cap(0x40, CAP_PM, 0x00, struct.pack("<H", 3) + bytes(4))
    return c


def case_cap_no_status_bit():
    """a (looping) list, but STATUS has no capability-list bit"""
    c = endpoint()
    c.put(STATUS, "H", 0)  # no list, says STATUS; a looping one anyway
    c.cap(0x40, CAP_VNDR, 0x40, b"\x04")
    return c


def case_ext_loop():
    """extended capabilities loop: 0x100 -> 0x140 -> 0x100"""
    c = pcie_endpoint()
    ext_cap(c, 0x100, 0x0001, 0x140)  # AER -> DSN -> AER
    ext_cap(c, 0x140, 0x0003, 0x100)
    return c


def case_ext_ptr_low():
    """extended capability pointer 0x80, below 0x100"""
    c = pcie_endpoint()
    ext_cap(c, 0x100, 0x0001, 0x080)
    return c


def case_ext_ptr_unaligned():
    """extended capability pointer 0x142, not dword aligned"""
    c = pcie_endpoint()
    ext_cap(c, 0x100, 0x0001, 0x142)
    ext_cap(c, 0x140, 0x0003, 0x000)
    return c


def case_bridge_unnumbered():
    """bridge with bus numbers 0/0/0 that ignores writes to them"""
    return bridge(0, 0, 0)  # reset state; the guest numbers it (and it ignores that)


def case_bridge_secondary_own_bus():
    """bridge on bus 0 whose secondary bus is 0 (subordinate 0x10)"""
    return bridge(0, 0, 0x10)  # behind it: bus 0 again


def case_bridge_subordinate_below():
    """bridge with secondary 5 and subordinate 2"""
    return bridge(0, 5, 2)


def case_hdr_7f():
    """header type 0x7f: an unknown layout"""
    c = endpoint()
    c.b[HEADER_TYPE] = 0x7f
    c.cap(0x40, CAP_PM, 0x00, struct.pack("<H", 3) + bytes(4))
    return c


def case_hdr_80_garbage():
    """header type 0x80 (multifunction), random bytes elsewhere"""
    return garbage(80, 0x1234, 0x0080, 0x80)


def case_hdr_ff_garbage():
    """header type 0xff, random bytes elsewhere"""
    return garbage(255, 0x1234, 0x00ff, 0xff)


def case_virtio_garbage():
    """virtio-blk IDs, random bytes elsewhere"""
    return garbage(1042, 0x1af4, 0x1042, 0x00)


def case_bars_all_ones():
    """every BAR reads 0xffffffff"""
    c = endpoint(caps=False)
    for n in range(6):
        c.put(BAR0 + 4 * n, "I", 0xffffffff)
    return c


def case_bar64_in_bar5():
    """a 64-bit BAR in BAR5: no register for its upper half"""
    c = endpoint(caps=False)
    c.put(BAR0 + 20, "I", 0xfebf000c)
    return c


def case_virtio_bar6():
    """virtio common cfg in BAR 6"""
    return virtio_blk(common=(6, 0, 0x38))


def case_virtio_bar7():
    """virtio notify cfg in BAR 7"""
    return virtio_blk(notify=(7, 0x3000, 4, 4))


def case_virtio_overflow():
    """virtio device cfg at offset 0xfffff000, length 0x2000: past 4 GiB"""
    return virtio_blk(device=(0, 0xfffff000, 0x2000))


def case_virtio_outside_bar():
    """virtio ISR at 0x7fff, 16 bytes: past the end of its 32 KiB BAR"""
    return virtio_blk(isr=(0, 0x7fff, 0x10))


def case_virtio_notify_short():
    """virtio notify cfg of length 1 (a notify is 2 bytes)"""
    return virtio_blk(notify=(0, 0x3000, 1, 4))


def case_virtio_bar_upper_half():
    """virtio common cfg in BAR1, the upper half of the 64-bit BAR0"""
    return virtio_blk(common=(1, 0, 0x38))


def case_virtio_notify_mult_huge():
    """virtio notify_off_multiplier 0xffffffff (survival only: the raw
    device never leaves reset, so the queue's notify address is not reached)"""
    return virtio_blk(notify=(0, 0x3000, 4, 0xffffffff))


def case_virtio_common_short():
    """virtio common cfg of 16 bytes (the structure is 56)"""
    return virtio_blk(common=(0, 0, 0x10))


def case_virtio_io_bar():
    """virtio structures in BAR0, an I/O BAR"""
    # BAR0 an I/O BAR at port 0xc000 (read-only: sizes as 0x4000 ports).
    return virtio_blk(bar=(0x0000c001, 0))


def case_virtio_bar_wraps():
    """virtio BAR0 at 0xffffffff_ffff0000: BAR + offset + length wraps to 0"""
    # 64-bit BAR0 at 0xffffffff_ffff0000, 64 KiB, every structure ending
    # at its end: BAR + offset + length is 2^64, which wraps to 0.
    return virtio_blk(bar=(0xffff000c, 0xffffffff), common=(0, 0xffc8, 0x38), notify=(0, 0xfffc, 4, 0),
                      isr=(0, 0xffff, 1), device=(0, 0xffc0, 0x40))


def case_virtio_bar_in_ram():
    """virtio BAR0 at 1 MiB, where the guest image is"""
    # Firmware "put" BAR0 at 1 MiB: the guest's own image.
    return virtio_blk(bar=(0x0010000c, 0))


def case_msix_bir7():
    """MSI-X table in BAR 7"""
    return virtio_blk(msix=(0x0001, 0x4000 | 7, 0x5000 | 0))


def case_msix_2048():
    """MSI-X table of 2048 entries (32 KiB) at BAR0 + 0x4000: past the BAR"""
    return virtio_blk(msix=(0x07ff, 0x4000 | 0, 0x5000 | 0))


def case_testdev_swapped_bars():
    """pci-testdev IDs, but BAR0 is I/O and BAR1 memory"""
    # pci-testdev (1b36:0005), but BAR0 is I/O and BAR1 memory.
    c = endpoint(0x1b36, 0x0005, 0x00ff00, caps=False)
    c.put(BAR0, "II", 0x0000c001, 0xc0001000)
    return c


# --- functions 1-7 -----------------------------------------------------------

def case_mf_no_bit():
    """function 0 without the multifunction bit, garbage in function 3: 3 is not scanned"""
    return Topology(endpoint(caps=False), "00:01.0", [("00:01.3", noise(3, header_type=0x7f))])


def case_mf_bit_garbage_fn3():
    """function 0 with the multifunction bit, garbage (header type 0x7f) in function 3"""
    c = endpoint(caps=False)
    c.b[HEADER_TYPE] = 0x80
    return Topology(c, "00:01.0", [("00:01.3", noise(3, header_type=0x7f))])


def case_mf_bit_alone():
    """a multifunction bit on a single function: functions 1-7 read all-ones"""
    c = endpoint(caps=False)
    c.b[HEADER_TYPE] = 0x80
    return c


# --- behind bridges: a VMM --pci-bridge (bus 01) and hostile functions ----------

def case_bridge_loop_behind():
    """a bridge behind the VMM's bridge (01:00.0) whose secondary is its own bus 01"""
    return Topology(bridge(1, 1, 1), "01:00.0", extra=["--pci-bridge"])


def case_bridge_loop_to_root():
    """a bridge at 01:00.0 whose buses are 00-05: back to the root"""
    return Topology(bridge(1, 0, 5), "01:00.0", extra=["--pci-bridge"])


def case_bridge_sub_below_behind():
    """a bridge at 01:00.0 with secondary 05 and subordinate 02"""
    return Topology(bridge(1, 5, 2), "01:00.0", extra=["--pci-bridge"])


def case_bridge_claims_vmm_bus():
    """a bridge at 00:01.0 claiming bus 01, which the VMM's bridge at 00:02.0 has (the rng behind it)"""
    return Topology(bridge(0, 1, 1), "00:01.0", extra=["--pci-bridge@00:02.0", "--rng@01:00.0"])


def case_bridge_windows_over_ram():
    """a bridge (bus 03) whose memory and prefetchable windows are RAM (0-63 MiB), I/O all of it"""
    c = bridge(0, 3, 3)
    c.b[0x1c], c.b[0x1d] = 0x00, 0xf0                # I/O 0x0000-0xffff
    c.put(0x20, "HH", 0x0000, 0x03f0)               # memory 0x0-0x3ffffff
    c.put(0x24, "HH", 0x0001, 0x03f1)               # prefetchable, 64-bit: the same
    c.put(COMMAND, "H", 0x0007)
    return Topology(c, "00:01.0", extra=["--pci-bridge@00:02.0", "--rng@01:00.0"])


def case_bridge_windows_overlap():
    """two bridges with the same memory window (0xc0000000-0xc00fffff), an rng on bus 0 to place beside them"""
    a, b = bridge(0, 1, 1), bridge(0, 2, 2)
    for c in (a, b):
        c.put(0x20, "HH", 0xc000, 0xc000)
        c.put(COMMAND, "H", 0x0002)
    return Topology(a, "00:01.0", [("00:02.0", b)], extra=["--rng@00:05.0"])


def case_regs_no_completion():
    """a virtio-blk that takes the handshake and queue setup but never completes a request"""
    return Regs()


def case_regs_bar0_at_0():
    """the register-file device with its BAR0 left at 0: the guest sizes and places it, then drives it there"""
    return Regs(virtio_blk(bar=(0x0000000c, 0)))


def case_regs_same_bar_twice():
    """two register-file devices whose BAR0s both say 0xc0008000: the second is moved, and driven there"""
    return Regs(copies=2)


def case_bars_overlap_fixed():
    """two read-only functions whose BAR0s both say 0xc0001000 (so 4 KiB): the second cannot be moved"""
    a, b = endpoint(caps=False), endpoint(0x1234, 0x5679, caps=False)
    for c in (a, b):
        c.put(BAR0, "I", 0xc0001000)
    return Topology(a, "00:01.0", [("00:02.0", b)])


def case_regs_queue_size_0():
    """queue_size reads 0: queue 0 does not exist"""
    return Regs(queue_size=0)


def case_regs_queue_size_24():
    """queue_size 24, not a power of two: the guest picks the largest power of two below"""
    return Regs(queue_size=24)


def case_regs_queue_size_ffff():
    """queue_size 0xffff, above virtio's 32768: the guest uses its own size"""
    return Regs(queue_size=0xffff)


def case_regs_num_queues_0():
    """num_queues reads 0 (and queue_size 256): a device with no virtqueues"""
    return Regs(num_queues=0)


def case_regs_notify_off_huge():
    """queue_notify_off 0x4000: the queue's notify address is past the notify structure"""
    return Regs(queue_notify_off=0x4000)


def case_regs_notify_mult_huge():
    """notify_off_multiplier 0xffffffff with queue_notify_off 1: past the notify structure, 64-bit product"""
    return Regs(virtio_blk(notify=(0, 0x3000, 4, 0xffffffff)), queue_notify_off=1)


def case_regs_no_version_1():
    """device_feature offers nothing: no VIRTIO_F_VERSION_1"""
    return Regs(feature=0)


def case_regs_msix_stuck():
    """an MSI-X capability whose enable bit never sticks (Message Control read-only); an rng beside it"""
    return Regs(extra=["--rng"])


def case_regs_msix_no_apic():
    """irq=msix on a VM with no interrupt controller (no virtio device of the VMM's): no local APIC answers"""
    return Regs()


def case_regs_capacity_0():
    """a disk of 0 sectors"""
    return Regs(capacity=0)


def case_all_zero():
    """256 bytes of zeros"""
    return Cfg(256)


def case_all_ones():
    """4096 bytes of 0xff"""
    c = Cfg(4096)
    c.b[:] = b"\xff" * 4096
    return c


CASES = {name[5:].replace("_", "-"): fn for name, fn in globals().items() if name.startswith("case_")}


def main(argv):
    if len(argv) == 2 and argv[1] == "--list":
        for name, fn in CASES.items():
            print(f"{name}\t{fn.__doc__ or ''}".rstrip())
        return 0
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    for name, fn in CASES.items():
        case = fn()
        if isinstance(case, Regs):
            with open(f"{argv[1]}/{name}.regs", "wb") as f:
                f.write(case.regs)
        if isinstance(case, (Topology, Regs)):
            for k, (_, cfg) in enumerate(getattr(case, "others", ())):
                with open(f"{argv[1]}/{name}.{k}.cfg", "wb") as f:
                    f.write(cfg.b)
            with open(f"{argv[1]}/{name}.args", "w") as f:
                f.write("\n".join(case.args(name)) + "\n")
            case = case.main
        with open(f"{argv[1]}/{name}.bin", "wb") as f:
            f.write(case.b)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
