#!/usr/bin/env python3
"""fixture_device.py - a small made-up PCI endpoint for passthrough tests
that must not depend on ../shared's corpus: a type-0 header (8086:1234),
BAR0 a 64 KiB 32-bit memory BAR, and an MSI-X capability at 0x40 with 8
entries, its table at BAR0+0x2000 and its PBA at BAR0+0x3000.

    tests/lib/fixture_device.py CONFIG_OUT RESOURCE_OUT

writes the 256-byte config space and the sysfs `resource` text that
scripts/mkfixture turns into a device directory.
"""
import struct
import sys

cfg = bytearray(256)
struct.pack_into("<HHHH", cfg, 0, 0x8086, 0x1234, 0x0000, 0x0010)  # IDs, COMMAND, STATUS (cap list)
cfg[8:12] = bytes([0x01, 0x00, 0x80, 0xff])                         # revision, class ff8000... (other)
struct.pack_into("<I", cfg, 0x10, 0xfe000000)                       # BAR0: mem32, where the host put it
struct.pack_into("<HH", cfg, 0x2c, 0x8086, 0x0001)                  # subsystem
cfg[0x34] = 0x40                                                     # capability list
cfg[0x40:0x42] = bytes([0x11, 0x00])                                 # MSI-X, end of list
struct.pack_into("<HII", cfg, 0x42, 8 - 1, 0x2000 | 0, 0x3000 | 0)  # 8 entries, table/PBA in BAR0
open(sys.argv[1], "wb").write(cfg)
lines = ["0x00000000fe000000 0x00000000fe00ffff 0x0000000000040200"]
lines += ["0x0000000000000000 0x0000000000000000 0x0000000000000000"] * 12
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
