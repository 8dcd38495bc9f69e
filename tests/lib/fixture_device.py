#!/usr/bin/env python3
"""fixture_device.py - a small made-up PCI endpoint for passthrough tests
that must not depend on ../shared's corpus: a type-0 header (8086:1234),
BAR0 a 64 KiB 32-bit memory BAR, and an MSI-X capability at 0x40 with 8
entries, its table at BAR0+0x2000 and its PBA at BAR0+0x3000.

    tests/lib/fixture_device.py [--msix-entries N] [--pba OFFSET] [--two-bars]
                                CONFIG_OUT RESOURCE_OUT

writes the 256-byte config space and the sysfs `resource` text that
scripts/mkfixture turns into a device directory. --msix-entries and --pba
make a device whose own table is larger than what the VMM emulates;
--two-bars gives it no capabilities and a second 64 KiB BAR (BAR1).
"""
import argparse
import struct

ap = argparse.ArgumentParser()
ap.add_argument("--msix-entries", type=int, default=8)
ap.add_argument("--pba", type=lambda x: int(x, 0), default=0x3000)
ap.add_argument("--two-bars", action="store_true")
ap.add_argument("config")
ap.add_argument("resource")
a = ap.parse_args()

cfg = bytearray(256)
struct.pack_into("<HHHH", cfg, 0, 0x8086, 0x1234, 0x0000, 0 if a.two_bars else 0x0010)  # IDs, COMMAND, STATUS
cfg[8:12] = bytes([0x01, 0x00, 0x80, 0xff])                         # revision, class ff8000 (other)
struct.pack_into("<I", cfg, 0x10, 0xfe000000)                       # BAR0: mem32, where the host put it
if a.two_bars:
    struct.pack_into("<I", cfg, 0x14, 0xfe010000)                   # BAR1
struct.pack_into("<HH", cfg, 0x2c, 0x8086, 0x0001)                  # subsystem
if not a.two_bars:
    cfg[0x34] = 0x40                                                 # capability list
    cfg[0x40:0x42] = bytes([0x11, 0x00])                             # MSI-X, end of list
    struct.pack_into("<HII", cfg, 0x42, a.msix_entries - 1, 0x2000, a.pba)  # table and PBA in BAR0
open(a.config, "wb").write(cfg)
lines = ["0x00000000fe000000 0x00000000fe00ffff 0x0000000000040200"]
lines += ["0x00000000fe010000 0x00000000fe01ffff 0x0000000000040200" if a.two_bars else
          "0x0000000000000000 0x0000000000000000 0x0000000000000000"]
lines += ["0x0000000000000000 0x0000000000000000 0x0000000000000000"] * 11
open(a.resource, "w").write("\n".join(lines) + "\n")
