#!/usr/bin/env python3
"""pci_view.py - PCI views for tests/pci-qemu.t, in the guest's pci=list format.

  pci_view.py qmp SOCKET     QEMU's own view of the bus, through QMP
                             query-pci on a running VM, then QMP quit. Also
                             checks that every BAR behind a bridge lies in
                             that bridge's window (exit 1 if not).
  pci_view.py guest FILE     the guest's pci=list lines from its output,
                             reduced to what QEMU reports too (no prog-if,
                             no trailing notes)
  pci_view.py sane FILE      checks the guest's BARs: each non-zero, aligned
                             to its size, below 4 GiB, none overlapping
                             another of the same space (exit 1 if not)

  pci_view.py lspci FILE     `lspci -F DUMP -vvv -nn` output (FILE), in the
                             same format, BAR sizes left out (a dump has
                             none) and one line per capability,
                             `pci BB:DD.F cap 0xOFF id=0xII`
  pci_view.py guestcaps FILE the guest's view in that same reduced form
  pci_view.py windows FILE   FILE holds `lspci -F DUMP -vvv` output, then the
                             guest's pci=list lines: checks that every BAR
                             the guest lists behind a bridge lies in one of
                             that bridge's windows, as lspci decodes them
                             (exit 1 if not, or if no BAR is behind one)

Both views print one line per function, `pci BB:DD.F VVVV:DDDD class=CCCC`,
and one per BAR, `pci BB:DD.F barN=io|mem32|mem64:0xADDR/0xSIZE[ pf]`,
sorted, so that the test can diff them.
"""
import json
import re
import socket
import sys
import time


def qmp_connect(path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(30)  # a QEMU that stops answering must not hang the test
            s.connect(path)
            return s
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def qmp_view(path):
    s = qmp_connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())  # the greeting

    def execute(cmd):
        f.write(json.dumps({"execute": cmd}) + "\n")
        f.flush()
        while True:
            line = f.readline()
            if not line:
                return None
            r = json.loads(line)
            if "error" in r:
                raise RuntimeError(f"QMP {cmd}: {r['error']}")
            if "return" in r:
                return r["return"]

    execute("qmp_capabilities")
    buses = execute("query-pci")
    try:
        execute("quit")
    except (OSError, ValueError):
        pass

    lines, bad = [], []

    def walk(devices, windows):
        for d in devices:
            who = f"pci {d['bus']:02x}:{d['slot']:02x}.{d['function']:x}"
            lines.append(f"{who} {d['id']['vendor']:04x}:{d['id']['device']:04x} "
                         f"class={d['class_info']['class']:04x}")
            for r in d["regions"]:
                if r["bar"] > 5:  # the expansion ROM: the guest does not list it
                    continue
                if r["type"] == "io":
                    kind, pf = "io", ""
                else:
                    kind = "mem64" if r["mem_type_64"] else "mem32"
                    pf = " pf" if r["prefetch"] else ""
                if r["address"] == -1:
                    # QEMU's "not mapped" (PCI_BAR_UNMAPPED): what the guest lists as an
                    # unassigned BAR, at 0 (microvm's host has no I/O window to put one in)
                    lines.append(f"{who} bar{r['bar']}={kind}:0x0/{r['size']:#x}{pf}")
                    continue
                lines.append(f"{who} bar{r['bar']}={kind}:{r['address']:#x}/{r['size']:#x}{pf}")
                for w in windows:  # every bridge above must forward it
                    ranges = [w["io_range"]] if kind == "io" else \
                        [w["memory_range"], w["prefetchable_range"]]
                    if not any(g["base"] <= r["address"] and
                               r["address"] + r["size"] - 1 <= g["limit"] for g in ranges):
                        bad.append(f"{who} bar{r['bar']} {r['address']:#x} is outside the "
                                   f"{kind} window of the bridge to bus {w['secondary']:02x}")
            if "pci_bridge" in d:
                b = d["pci_bridge"]
                walk(b.get("devices", []), windows + [b["bus"]])

    for bus in buses:
        walk(bus["devices"], [])
    print("\n".join(sorted(lines)))
    for b in bad:
        print(b, file=sys.stderr)
    return 1 if bad else 0


FUNC = re.compile(r"^(pci [0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) ([0-9a-f]{4}:[0-9a-f]{4}) class=([0-9a-f]{4})[0-9a-f]{2}\b")
BAR = re.compile(r"^(pci [0-9a-f]{2}:[0-9a-f]{2}\.[0-7] bar[0-5]=(io|mem32|mem64):0x([0-9a-f]+)/0x([0-9a-f]+))( pf)?\b")


def guest_view(path):
    lines = []
    for line in open(path, errors="replace"):
        m = FUNC.match(line)
        if m:
            lines.append(f"{m[1]} {m[2]} class={m[3]}")
            continue
        m = BAR.match(line)
        if m:
            lines.append(m[1] + (m[5] or ""))
    print("\n".join(sorted(lines)))
    return 0


def guest_sane(path):
    bars, bad = [], []
    for line in open(path, errors="replace"):
        m = BAR.match(line)
        if not m:
            continue
        addr, size = int(m[3], 16), int(m[4], 16)
        space = "io" if m[2] == "io" else "mem"
        if addr == 0:
            bad.append(f"{m[1]}: address 0 (unassigned)")
        if size & (size - 1) or addr % size:
            bad.append(f"{m[1]}: not aligned to its size")
        if addr + size > 1 << 32:
            bad.append(f"{m[1]}: above 4 GiB")
        for other_space, a, s, name in bars:
            if other_space == space and addr < a + s and a < addr + size:
                bad.append(f"{m[1]}: overlaps {name}")
        bars.append((space, addr, size, m[1]))
    for b in bad:
        print(b)
    if not bars:
        print("no BAR lines")
    return 1 if bad or not bars else 0


CAP = re.compile(r"^(pci [0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) cap 0x([0-9a-f]+) id=0x([0-9a-f]{2})\b")
LSPCI_FUNC = re.compile(r"^([0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) .*\[([0-9a-f]{4})\]: .*\[([0-9a-f]{4}:[0-9a-f]{4})\]")
LSPCI_BAR = re.compile(r"^\s+Region ([0-5]): (Memory|I/O ports) at ([0-9a-f]+)(?: \((64|32)-bit, (prefetchable|non-prefetchable)\))?")
LSPCI_CAP = re.compile(r"^\s+Capabilities: \[([0-9a-f]+)\] (.*)")
# lspci names standard capabilities; the IDs are PCI_CAP_ID_* (pci_regs.h).
LSPCI_CAP_IDS = {"Power Management": 0x01, "MSI:": 0x05, "Vendor Specific": 0x09, "Express": 0x10,
                 "MSI-X": 0x11, "Subsystem": 0x0d}


def guest_caps_view(path):
    lines = []
    for line in open(path, errors="replace"):
        m = FUNC.match(line)
        if m:
            lines.append(f"{m[1]} {m[2]} class={m[3]}")
        m = BAR.match(line)
        if m:
            lines.append(f"{m[1].split('/')[0]}{m[5] or ''}")
        m = CAP.match(line)
        if m and int(m[2], 16) < 0x100:
            lines.append(f"{m[1]} cap 0x{int(m[2], 16):x} id=0x{m[3]}")
    print("\n".join(sorted(lines)))
    return 0


def lspci_view(path):
    lines, bdf = [], None
    for line in open(path, errors="replace"):
        m = LSPCI_FUNC.match(line)
        if m:
            bdf = f"pci {m[1]}"
            lines.append(f"{bdf} {m[3]} class={m[2]}")
            continue
        m = LSPCI_BAR.match(line)
        if m and bdf and "unassigned" not in line:
            kind = "io" if m[2] == "I/O ports" else f"mem{m[4] or '32'}"
            pf = " pf" if m[5] == "prefetchable" else ""
            lines.append(f"{bdf} bar{m[1]}={kind}:0x{int(m[3], 16):x}{pf}")
            continue
        m = LSPCI_CAP.match(line)
        if m and bdf:
            ids = [v for k, v in LSPCI_CAP_IDS.items() if m[2].startswith(k)]
            lines.append(f"{bdf} cap 0x{int(m[1], 16):x} id=0x{ids[0] if ids else 0:02x}")
    print("\n".join(sorted(lines)))
    return 0


def windows_check(path):
    """Each bridge's bus range and windows from lspci -vvv, then each
    guest BAR on a bus behind it: inside a window of its kind."""
    bridges, bdf, bars = [], None, []
    for line in open(path, errors="replace"):
        m = re.match(r"^([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) ", line)
        if m:
            bdf = m[0].strip()
            continue
        m = re.match(r"^\s+Bus: primary=([0-9a-f]+), secondary=([0-9a-f]+), subordinate=([0-9a-f]+)", line)
        if m:
            bridges.append({"bdf": bdf, "sec": int(m[2], 16), "sub": int(m[3], 16), "io": [], "mem": []})
            continue
        m = re.match(r"^\s+(I/O|Memory|Prefetchable memory) behind bridge: ([0-9a-f]+)-([0-9a-f]+)", line)
        if m and bridges and bridges[-1]["bdf"] == bdf:
            bridges[-1]["io" if m[1] == "I/O" else "mem"].append((int(m[2], 16), int(m[3], 16)))
            continue
        m = re.match(r"^pci ([0-9a-f]{2}):[0-9a-f]{2}\.[0-7] bar\d=(io|mem32|mem64):0x([0-9a-f]+)/0x([0-9a-f]+)", line)
        if m:
            bars.append((line.split()[1], int(m[1], 16), m[2], int(m[3], 16), int(m[4], 16)))
    bad, behind = 0, 0
    for who, bus, kind, addr, size in bars:
        for b in bridges:
            if not b["sec"] <= bus <= b["sub"]:
                continue
            behind += 1
            wins = b["io" if kind == "io" else "mem"]
            if not any(lo <= addr and addr + size - 1 <= hi for lo, hi in wins):
                print(f"{who} {kind} 0x{addr:x}/0x{size:x} is outside the windows of bridge {b['bdf']}: {wins}")
                bad += 1
    if not behind:
        print("no BAR behind a bridge")
        return 1
    print(f"{behind} BAR placements behind bridges checked, {bad} outside")
    return 1 if bad else 0


if __name__ == "__main__":
    modes = {"qmp": qmp_view, "guest": guest_view, "sane": guest_sane, "lspci": lspci_view,
             "guestcaps": guest_caps_view, "windows": windows_check}
    if len(sys.argv) != 3 or sys.argv[1] not in modes:
        sys.exit(__doc__)
    mode, arg = sys.argv[1:]
    sys.exit(modes[mode](arg))
