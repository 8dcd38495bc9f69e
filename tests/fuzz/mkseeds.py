#!/usr/bin/env python3
"""mkseeds.py - structured seeds for the VMM's libFuzzer targets, so that a
campaign starts inside the code it is meant to reach instead of hoping to
stumble on it.

    tests/fuzz/mkseeds.py CORPUS_DIR     (writes CORPUS_DIR/fuzz_vmm_*/seed-*)

fuzz_vmm_virtq: a 16-descriptor queue (desc at 0, avail at 0x200, used at
0x400) and virtio-blk requests framed every legal and illegal way: header,
data and status apart; header with data; data with status; all in pieces;
readable after writable; a flush; rings misaligned on purpose.
fuzz_vmm_pci: accesses that program MSI-X and touch its table and PBA.
"""
import os
import struct
import sys

RAM_SEED = 4088  # the target repeats these bytes over its 16 KiB of RAM
DESC, AVAIL, USED, BUF = 0x0, 0x200, 0x400, 0x800
F_NEXT, F_WRITE = 1, 2


def virtq_seed(chain, raw=False, size=16, req=(0, 3)):
    """chain: [(offset in BUF area, len, flags)] linked in order."""
    ram = bytearray(RAM_SEED)
    for i, (off, ln, fl) in enumerate(chain):
        nxt = i + 1 if i + 1 < len(chain) else 0
        fl |= F_NEXT if i + 1 < len(chain) else 0
        struct.pack_into("<QIHH", ram, DESC + 16 * i, BUF + off, ln, fl, nxt)
    struct.pack_into("<HHH", ram, AVAIL, 0, 1, 0)  # flags, idx 1, ring[0] = head 0
    struct.pack_into("<IIQ", ram, BUF, req[0], 0, req[1])  # virtio-blk header: type, sector
    for i in range(16, 600):
        ram[BUF + i] = i & 0xff
    if raw:
        hdr = struct.pack("<HHHH", 0x8000 | size, DESC + 8, AVAIL + 1, USED + 2)
    else:
        hdr = struct.pack("<HHHH", size, DESC // 16, AVAIL // 2, USED // 4)
    return hdr + bytes(ram)


def pci_op(kind, off, size_log2, value, write=True):
    """One 8-byte access: byte 0 % 6 is the kind, its top bit says write."""
    b = next(b for b in range(256) if b % 6 == kind and bool(b & 0x80) == write)
    return bytes([b, off & 0xff, off >> 8, size_log2]) + struct.pack("<I", value)


def main():
    root = sys.argv[1]
    vq = os.path.join(root, "fuzz_vmm_virtq")
    pci = os.path.join(root, "fuzz_vmm_pci")
    os.makedirs(vq, exist_ok=True)
    os.makedirs(pci, exist_ok=True)
    W = F_WRITE
    seeds = {
        "write-3-descriptors": virtq_seed([(0, 16, 0), (16, 512, 0), (600, 1, W)], req=(1, 3)),
        "read-3-descriptors": virtq_seed([(0, 16, 0), (16, 512, W), (600, 1, W)], req=(0, 3)),
        "write-header-with-data": virtq_seed([(0, 528, 0), (600, 1, W)], req=(1, 2)),
        "read-data-with-status": virtq_seed([(0, 16, 0), (16, 513, W)], req=(0, 4)),
        "write-in-pieces": virtq_seed([(0, 5, 0), (5, 100, 0), (105, 423, 0), (600, 1, W)], req=(1, 6)),
        "read-in-pieces": virtq_seed([(0, 16, 0), (16, 7, W), (23, 505, W), (600, 1, W)], req=(0, 6)),
        "readable-after-writable": virtq_seed([(0, 16, 0), (16, 256, 0), (272, 256, W), (528, 16, 0), (600, 1, W)], req=(1, 1)),
        "flush": virtq_seed([(0, 16, 0), (600, 1, W)], req=(4, 0)),
        "get-id": virtq_seed([(0, 16, 0), (16, 20, W), (600, 1, W)], req=(8, 0)),
        "rings-misaligned": virtq_seed([(0, 16, 0), (600, 1, W)], raw=True),
        "past-the-end": virtq_seed([(0, 16, 0), (16, 512, W), (600, 1, W)], req=(0, 15)),
    }
    for name, data in seeds.items():
        open(os.path.join(vq, "seed-" + name), "wb").write(data)
    # MSI-X: entry 0 address, data, unmask; the PBA; Message Control via ECAM.
    table = b"".join([
        pci_op(4, 0x000, 2, 0xfee00000), pci_op(4, 0x008, 2, 0x31), pci_op(4, 0x00c, 2, 0),
        pci_op(4, 0x010, 3, 0xfee01000), pci_op(4, 0x01c, 2, 1), pci_op(4, 0x800, 2, 0, write=False),
        pci_op(4, 0x800, 3, 0, write=False), pci_op(1, 0x8000 | 0x42, 1, 0xc000),
        pci_op(4, 0x00c, 2, 0), pci_op(1, 0x8000 | 0x42, 1, 0x8000), pci_op(4, 0x800, 2, 0, write=False),
    ])
    open(os.path.join(pci, "seed-msix-table-and-pba"), "wb").write(table)
    bars = b"".join([
        pci_op(1, 0x8000 | 0x10, 2, 0xffffffff), pci_op(1, 0x8000 | 0x10, 2, 0xd0000000, write=False),
        pci_op(1, 0x8000 | 0x10, 2, 0xd0000000), pci_op(4, 0x004, 2, 0x12345678),
        pci_op(1, 0x8000 | 0x04, 1, 0), pci_op(1, 0x8000 | 0x04, 1, 3), pci_op(4, 0x008, 2, 0x41),
    ])
    open(os.path.join(pci, "seed-bar-moves-under-msix"), "wb").write(bars)


main()
