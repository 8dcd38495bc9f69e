#!/usr/bin/env python3
"""mutate_elf.py - write broken variants of a good ELF image, for the VMM's
refusal tests: mutate_elf.py GOOD.elf OUTDIR. One file per defect, named
after it; each differs from GOOD in exactly the way its name says."""
import struct
import sys

good = open(sys.argv[1], "rb").read()
out = sys.argv[2]
e_phoff, = struct.unpack_from("<Q", good, 0x20)
e_phnum, = struct.unpack_from("<H", good, 0x38)
phdrs = [(e_phoff + i * 56) for i in range(e_phnum)]
loads = [p for p in phdrs if struct.unpack_from("<I", good, p)[0] == 1]
notes = [p for p in phdrs if struct.unpack_from("<I", good, p)[0] == 4]


def write(name, data):
    with open(f"{out}/{name}", "wb") as f:
        f.write(data)


def patched(fmt, off, *vals):
    b = bytearray(good)
    struct.pack_into(fmt, b, off, *vals)
    return bytes(b)


write("empty", b"")
write("not-elf", b"#!/bin/sh\necho this is not an ELF image\n")
write("elf32", patched("<B", 4, 1))
write("big-endian", patched("<B", 5, 2))
write("ident-version-0", patched("<B", 6, 0))  # e_ident[EI_VERSION]
write("e-version-2", patched("<I", 0x14, 2))  # e_version
write("wrong-machine", patched("<H", 0x12, 183))  # EM_AARCH64
write("truncated-header", good[:40])
write("truncated-phdrs", good[:e_phoff + 20])
# Cut inside the first PT_LOAD's file bytes.
seg_off, = struct.unpack_from("<Q", good, loads[0] + 8)
write("truncated-segment", good[:seg_off + 16])
# The note's type (18 -> 17) is at the note segment's offset + 8.
note_off, = struct.unpack_from("<Q", good, notes[0] + 8)
write("no-pvh-note", patched("<I", note_off + 8, 17))
# First PT_LOAD moved: p_paddr at +24.
write("outside-ram", patched("<Q", loads[0] + 24, 0x7ff00000))
write("overlaps-boot-info", patched("<Q", loads[0] + 24, 0x2000))
nolo = bytearray(good)
for p in loads:
    struct.pack_into("<I", nolo, p, 6)  # PT_LOAD -> PT_PHDR
write("no-load-segments", bytes(nolo))
# Second PT_LOAD moved to start 4 KiB into the first (the code).
p0, = struct.unpack_from("<Q", good, loads[0] + 24)
write("overlapping-segments", patched("<Q", loads[1] + 24, p0 + 0x1000))
# The entry's segment (the first) loses PF_X (p_flags at +4, PF_X = 1).
flags0, = struct.unpack_from("<I", good, loads[0] + 4)
write("entry-not-executable", patched("<I", loads[0] + 4, flags0 & ~1))
# The entry (the PVH note's desc, after its 12-byte header and "Xen\0")
# moved to the first BSS byte of the second PT_LOAD, made executable.
p1, f1, m1 = (struct.unpack_from("<Q", good, loads[1] + o)[0] for o in (24, 32, 40))
assert m1 > f1, "the guest's second PT_LOAD has no BSS"
bss = bytearray(good)
struct.pack_into("<I", bss, loads[1] + 4, struct.unpack_from("<I", good, loads[1] + 4)[0] | 1)
struct.pack_into("<I", bss, note_off + 16, p1 + f1)
write("entry-in-bss", bytes(bss))
