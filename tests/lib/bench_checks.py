#!/usr/bin/env python3
"""bench_checks - checks of scripts/bench's saved files for tests/bench.t.
Each command prints nothing and exits 0 when the file is as it must be,
else says what is wrong and exits 1 (77: the check cannot run here).

  bench_checks.py schema FILE.json       validates against docs/bench-schema.json
  bench_checks.py rows FILE.json VMM TEST...   each row ran, percentiles in order
  bench_checks.py host FILE.json         the host's facts are filled in
  bench_checks.py floor FILE.json VMM FACTOR   floor <= FACTOR x VMM per kind
  bench_checks.py scale FILE.json OUT.json K    OUT = FILE with every sample x K
  bench_checks.py png FILE.png W H        a PNG of that size
"""
import json
import os
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def die(msg, code=1):
    print(msg)
    sys.exit(code)


def load(path):
    with open(path) as f:
        return json.load(f)


def schema(path):
    # jsonschema is a Debian package (python3-jsonschema) of the system
    # Python, which may not be the python3 first on PATH.
    code = ("import json,sys,jsonschema\n"
            "s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2]))\n"
            "jsonschema.Draft202012Validator.check_schema(s)\n"
            "errs=sorted(jsonschema.Draft202012Validator(s, format_checker=jsonschema.FormatChecker())"
            ".iter_errors(d), key=str)\n"
            "[print('/'.join(map(str, e.absolute_path)), e.message[:300]) for e in errs[:5]]\n"
            "sys.exit(1 if errs else 0)\n")
    for py in ("/usr/bin/python3", sys.executable):
        if subprocess.run([py, "-c", "import jsonschema"], capture_output=True).returncode == 0:
            p = subprocess.run([py, "-c", code, os.path.join(ROOT, "docs", "bench-schema.json"), path])
            sys.exit(p.returncode)
    die("python3-jsonschema is not installed", 77)


def rows(path, vmm, tests):
    r = load(path)
    res = r["vmms"].get(vmm)
    if not res:
        die(f"no VMM {vmm} in {path}")
    if res["status"] != "ok":
        die(f"{vmm}: {res['status']}: {res['reason']}")
    for t in tests:
        row = res["tests"].get(t)
        if not row or not row["samples"]:
            die(f"{vmm} {t}: no samples ({row and row.get('skipped')})")
        p = row["percentiles_ns"]
        order = [p[k] for k in ("min", "p1", "p10", "p50", "p90", "p99", "max")]
        if order != sorted(order) or not p["min"] <= row["median_ns"] <= p["max"]:
            die(f"{vmm} {t}: percentiles out of order: {p}, median {row['median_ns']}")
        n = sum(len(b["ns"]) for b in row["boots"])
        if n != row["samples"] or any(len(b["ns"]) != len(b["cycles"]) for b in row["boots"]):
            die(f"{vmm} {t}: {row['samples']} samples said, {n} kept")


def host(path):
    h = load(path)["host"]
    for k in ("kernel", "cpu_model", "cpus", "kvm", "exitlab", "qemu_version", "loadavg_start", "loadavg_end",
              "date"):
        if h.get(k) in (None, "", []):
            die(f"host field {k} is empty: {h.get(k)!r}")


def floor(path, vmm, factor):
    r = load(path)
    fl = r.get("floor")
    if not fl or fl["status"] != "ok":
        die(f"no floor in {path}: {fl and fl.get('reason')}")
    n = 0
    for t, frow in fl["tests"].items():
        vrow = r["vmms"][vmm]["tests"].get(t)
        f, v = frow.get("median_ns"), (vrow or {}).get("median_ns")
        if f is None or v is None or f < 1:
            continue
        n += 1
        if f > float(factor) * v:
            die(f"{t}: floor {f:.0f} ns is above {factor} x {vmm}'s {v:.0f} ns")
    if not n:
        die("no kind that both the floor and the VMM ran")


def scale(path, out, k):
    r = load(path)
    k = float(k)
    for res in r["vmms"].values():
        for row in res["tests"].values():
            for b in row["boots"]:
                b["ns"] = [x * k for x in b["ns"]]
                b["cycles"] = [x * k for x in b["cycles"]]
    with open(out, "w") as f:
        json.dump(r, f)


def png(path, w, h):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        die(f"{path} is not a PNG")
    got = struct.unpack(">II", head[16:24])
    if got != (int(w), int(h)):
        die(f"{path} is {got[0]}x{got[1]}, expected {w}x{h}")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"schema": lambda: schema(*args), "rows": lambda: rows(args[0], args[1], args[2:]),
     "host": lambda: host(*args), "floor": lambda: floor(*args), "scale": lambda: scale(*args),
     "png": lambda: png(*args)}[cmd]()
