#!/usr/bin/env python3
"""mutate_elf.py - broken variants of a good ELF image, for the VMM's
refusal tests. Two modes:

  mutate_elf.py GOOD.elf OUTDIR
      one file per known defect, named after it; each differs from GOOD in
      exactly the way its name says (tests/vmm-cli.t).

  mutate_elf.py --random N --seed S [--first K] GOOD.elf OUTDIR
      N seeded random mutants m-S-K .. m-S-(K+N-1): bit flips, byte sets,
      ELF/program header/note fields set to interesting values, truncations,
      overlapping segments, moved entries, added program headers, one to
      three of them at a time. Mutant I depends only on (S, I), so one can
      be made again alone with --random 1 --first I. One line per mutant on
      stdout: NAME, then 'accept' or 'refuse', then what was done, separated
      by tabs. The verdict comes from verdict() below, a model of the
      loader's rules (vmm/elf.h) written from those rules, not from the VMM's
      output: tests/mutate-images.t requires the VMM to agree with it.
"""
import random
import struct
import sys

# The VMM's limits at its default --mem (vmm/layout.h).
RAM_SIZE = 64 << 20
HOLE = (0xA0000, 0x100000)
BOOT = (0, 0x4000)

PT_LOAD, PT_NOTE, PF_X = 1, 4, 1
EHDR = [  # name, offset, struct format
    ("e_ident[EI_CLASS]", 4, "B"), ("e_ident[EI_DATA]", 5, "B"), ("e_ident[EI_VERSION]", 6, "B"),
    ("e_ident[EI_OSABI]", 7, "B"), ("e_type", 0x10, "H"), ("e_machine", 0x12, "H"),
    ("e_version", 0x14, "I"), ("e_entry", 0x18, "Q"), ("e_phoff", 0x20, "Q"), ("e_shoff", 0x28, "Q"),
    ("e_flags", 0x30, "I"), ("e_ehsize", 0x34, "H"), ("e_phentsize", 0x36, "H"), ("e_phnum", 0x38, "H"),
    ("e_shentsize", 0x3A, "H"), ("e_shnum", 0x3C, "H"), ("e_shstrndx", 0x3E, "H"),
]
PHDR = [("p_type", 0, "I"), ("p_flags", 4, "I"), ("p_offset", 8, "Q"), ("p_vaddr", 16, "Q"),
        ("p_paddr", 24, "Q"), ("p_filesz", 32, "Q"), ("p_memsz", 40, "Q"), ("p_align", 48, "Q")]
NHDR = [("n_namesz", 0, "I"), ("n_descsz", 4, "I"), ("n_type", 8, "I"), ("name", 12, "I"), ("desc", 16, "I")]


def u(fmt, b, off):
    return struct.unpack_from("<" + fmt, b, off)[0]


def phdrs(b):
    """(offset of header, p_type) of each program header, as the image says."""
    phoff, phnum = u("Q", b, 0x20), u("H", b, 0x38)
    return [(phoff + i * 56, u("I", b, phoff + i * 56)) for i in range(phnum) if phoff + i * 56 + 56 <= len(b)]


# --- the model of the loader's rules -------------------------------------------


def pvh_entry(p):
    """The PVH entry in one PT_NOTE's bytes: an int, None if absent, or
    'bad' for a malformed note."""
    off = 0
    while len(p) - off >= 12:
        namesz, descsz, ntype = struct.unpack_from("<III", p, off)
        name_off = off + 12
        desc_off = name_off + ((namesz + 3) & ~3)
        end = desc_off + ((descsz + 3) & ~3)
        if desc_off > len(p) or end > len(p):
            return "bad"
        if ntype == 18 and namesz == 4 and p[name_off:name_off + 4] == b"Xen\0":
            if descsz not in (4, 8):
                return "bad"
            e = int.from_bytes(p[desc_off:desc_off + descsz], "little")
            return "bad" if e > 0xFFFFFFFF else e
        off = end
    return None


def verdict(b):
    """'accept' or 'refuse': what the loader must do with image b."""
    size = len(b)
    if size < 16 or b[:4] != b"\x7fELF" or b[4] != 2 or b[5] != 1 or b[6] != 1 or size < 64:
        return "refuse"
    e_type, e_machine, e_version = struct.unpack_from("<HHI", b, 0x10)
    phoff, phentsize, phnum = u("Q", b, 0x20), u("H", b, 0x36), u("H", b, 0x38)
    if e_machine != 62 or e_type != 2 or e_version != 1 or phnum == 0 or phentsize != 56:
        return "refuse"
    if phoff + phnum * 56 > size:
        return "refuse"
    entry, loads = None, []
    for i in range(phnum):
        ptype, flags, off, _, paddr, filesz, memsz = struct.unpack_from("<IIQQQQQ", b, phoff + i * 56)
        if ptype == PT_NOTE:
            if off + filesz > size:
                return "refuse"
            if entry is None:
                entry = pvh_entry(b[off:off + filesz])
                if entry == "bad":
                    return "refuse"
        if ptype != PT_LOAD or memsz == 0:
            continue
        end = paddr + memsz
        if off + filesz > size or filesz > memsz or end > RAM_SIZE:
            return "refuse"
        if paddr < HOLE[1] and HOLE[0] < end or paddr < BOOT[1] and BOOT[0] < end:
            return "refuse"
        loads.append((paddr, end, paddr + filesz, flags & PF_X))
    if not loads or entry is None:
        return "refuse"
    loads.sort()
    if any(loads[k + 1][0] < loads[k][1] for k in range(len(loads) - 1)):
        return "refuse"
    if not any(s <= entry < fe and x for s, _, fe, x in loads):
        return "refuse"
    return "accept"


# --- random mutations -----------------------------------------------------------


def interesting(rng, width, old, b):
    """A value worth trying in a field of width bytes that held old."""
    top = (1 << (8 * width)) - 1
    loads = [p for p, t in phdrs(b) if t == PT_LOAD]
    near = [len(b), RAM_SIZE, HOLE[0], HOLE[1], BOOT[1], 0x100000, 1 << 32, 1 << 31, 0x1000]
    for p in loads:
        paddr, filesz, memsz = u("Q", b, p + 24), u("Q", b, p + 32), u("Q", b, p + 40)
        near += [paddr, paddr + filesz, paddr + memsz, u("Q", b, p + 8)]
    v = rng.choice([
        0, 1, 2, 3, 4, 8, 0x10, 0x7F, 0x80, 0xFF, top, top - 1, top >> 1, (top >> 1) + 1,
        old + 1, old - 1, old + 0x1000, old - 0x1000, old * 2, old ^ (1 << rng.randrange(8 * width)),
        rng.choice(near) + rng.choice([-1, 0, 1]), rng.randrange(top + 1),
    ])
    return v & top


def set_field(rng, b, base, fields, what):
    name, off, fmt = rng.choice(fields)
    width = struct.calcsize(fmt)
    if base + off + width > len(b):
        return None
    old = u(fmt, b, base + off)
    v = interesting(rng, width, old, b)
    struct.pack_into("<" + fmt, b, base + off, v)
    return f"{what}{name}={v:#x}"


def hot_offset(rng, b):
    """An offset the loader reads: ELF header, program headers, the notes,
    the first bytes of a segment (the entry code), or anywhere."""
    regions = [(0, 64)]
    for p, t in phdrs(b):
        regions.append((p, p + 56))
        off, filesz = u("Q", b, p + 8), u("Q", b, p + 32)
        if t == PT_NOTE:
            regions.append((off, off + filesz))
        elif t == PT_LOAD:
            regions.append((off, off + min(filesz, 256)))
    regions = [(lo, min(hi, len(b))) for lo, hi in regions if lo < min(hi, len(b))]
    if not regions or rng.random() < 0.1:
        return rng.randrange(len(b))
    lo, hi = rng.choice(regions)
    return rng.randrange(lo, hi)


def m_bitflip(rng, b):
    offs = [hot_offset(rng, b) for _ in range(rng.randint(1, 4))]
    for o in offs:
        b[o] ^= 1 << rng.randrange(8)
    return "bitflip@" + ",".join(f"{o:#x}" for o in offs)


def m_byteset(rng, b):
    offs = [hot_offset(rng, b) for _ in range(rng.randint(1, 4))]
    v = rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.randrange(256)])
    for o in offs:
        b[o] = v
    return f"byteset={v:#x}@" + ",".join(f"{o:#x}" for o in offs)


def m_ehdr(rng, b):
    return set_field(rng, b, 0, EHDR, "")


def m_phdr(rng, b):
    ph = phdrs(b)
    if not ph:
        return None
    i = rng.randrange(len(ph))
    return set_field(rng, b, ph[i][0], PHDR, f"phdr{i}.")


def m_note(rng, b):
    notes = [p for p, t in phdrs(b) if t == PT_NOTE]
    if not notes:
        return None
    off = u("Q", b, rng.choice(notes) + 8)
    return set_field(rng, b, off, NHDR, "note.")


def m_truncate(rng, b):
    cuts = [64, u("Q", b, 0x20) + 56 * u("H", b, 0x38)]
    for p, _ in phdrs(b):
        cuts.append(u("Q", b, p + 8) + u("Q", b, p + 32))
    cut = rng.choice([rng.choice(cuts) + rng.choice([-1, 0, 1]), rng.randrange(0x1000),
                      rng.randrange(len(b))])
    cut = max(0, min(cut, len(b)))
    del b[cut:]
    return f"truncate={cut:#x}"


def m_overlap(rng, b):
    loads = [p for p, t in phdrs(b) if t == PT_LOAD]
    if len(loads) < 2:
        return None
    i, j = sorted(rng.sample(range(len(loads)), 2), key=lambda k: u("Q", b, loads[k] + 24))
    pi, pj = loads[i], loads[j]  # i starts lower
    paddr, memsz = u("Q", b, pi + 24), u("Q", b, pi + 40)
    if rng.random() < 0.5:  # j starts inside i
        v = (paddr + rng.choice([0, memsz - 1, rng.randrange(max(memsz, 1))])) & (2**64 - 1)
        struct.pack_into("<Q", b, pj + 24, v)
        return f"overlap:load{j}.p_paddr={v:#x}"
    grow = u("Q", b, pj + 24) - paddr + rng.choice([1, 0x1000])  # i grows into j
    struct.pack_into("<Q", b, pi + 40, grow & (2**64 - 1))
    return f"overlap:load{i}.p_memsz={grow & (2**64 - 1):#x}"


def m_entry(rng, b):
    notes = [p for p, t in phdrs(b) if t == PT_NOTE]
    loads = [p for p, t in phdrs(b) if t == PT_LOAD]
    if not notes or not loads:
        return None
    desc = u("Q", b, notes[0] + 8) + 16
    if desc + 4 > len(b):
        return None
    p = rng.choice(loads)
    paddr, filesz, memsz = u("Q", b, p + 24), u("Q", b, p + 32), u("Q", b, p + 40)
    v = rng.choice([paddr, paddr + filesz - 1, paddr + filesz, paddr + memsz - 1, paddr + memsz,
                    paddr + rng.randrange(max(memsz, 1)), rng.randrange(RAM_SIZE)]) & 0xFFFFFFFF
    struct.pack_into("<I", b, desc, v)
    return f"entry={v:#x}"


def m_addphdr(rng, b):
    """One more program header: a copy of one (then maybe changed), or a
    bare e_phnum increase over what follows the headers."""
    ph = phdrs(b)
    phoff, phnum = u("Q", b, 0x20), u("H", b, 0x38)
    slot = phoff + 56 * phnum
    if not ph or slot + 56 > len(b) or phnum == 0xFFFF:
        return None
    i = rng.randrange(len(ph))
    what = f"addphdr:copy{i}"
    if rng.random() < 0.8:
        b[slot:slot + 56] = b[ph[i][0]:ph[i][0] + 56]
    else:
        what = "addphdr:bare"
    struct.pack_into("<H", b, 0x38, phnum + 1)
    if rng.random() < 0.5:
        what += "," + set_field(rng, b, slot, PHDR, f"phdr{phnum}.")
    return what


OPS = [(m_bitflip, 3), (m_byteset, 2), (m_ehdr, 3), (m_phdr, 5), (m_note, 2), (m_truncate, 2),
       (m_overlap, 2), (m_entry, 2), (m_addphdr, 2)]


def mutant(good, seed, index):
    """(bytes, description) of mutant index of seed."""
    rng = random.Random(f"{seed}:{index}")
    b = bytearray(good)
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3])):
        if len(b) < 64:
            break
        op = rng.choices([o for o, _ in OPS], [w for _, w in OPS])[0]
        d = op(rng, b)
        if d:
            done.append(d)
    return bytes(b), " ".join(done) or "none"


def random_mode(args):
    n, seed, first = int(args[1]), args[3], 0
    rest = args[4:]
    if rest[:1] == ["--first"]:
        first, rest = int(rest[1]), rest[2:]
    good_path, out = rest
    good = open(good_path, "rb").read()
    for i in range(first, first + n):
        data, what = mutant(good, seed, i)
        name = f"m-{seed}-{i}"
        with open(f"{out}/{name}", "wb") as f:
            f.write(data)
        print(f"{name}\t{verdict(data)}\t{what}")


# --- the fixed defects ------------------------------------------------------------


def fixed_mode(good, out):
    e_phoff, = struct.unpack_from("<Q", good, 0x20)
    e_phnum, = struct.unpack_from("<H", good, 0x38)
    phdr_offs = [(e_phoff + i * 56) for i in range(e_phnum)]
    loads = [p for p in phdr_offs if struct.unpack_from("<I", good, p)[0] == 1]
    notes = [p for p in phdr_offs if struct.unpack_from("<I", good, p)[0] == 4]

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


if __name__ == "__main__":
    if sys.argv[1:2] == ["--random"]:
        if len(sys.argv) < 7 or sys.argv[3] != "--seed":
            sys.exit("usage: mutate_elf.py --random N --seed S [--first K] GOOD.elf OUTDIR")
        random_mode(sys.argv[1:])
    else:
        fixed_mode(open(sys.argv[1], "rb").read(), sys.argv[2])
