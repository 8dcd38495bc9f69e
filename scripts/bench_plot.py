"""bench_plot - one picture of a benchmark: a panel per test, in each the
distribution of every VMM's per-operation samples as a CDF on a log time
axis, and the floor (the bare KVM_RUN loop, where it was measured) as a
vertical line. Drawn by gnuplot (Debian's gnuplot-nox), from data files
written to a temporary folder.

The PNG is PANEL_W pixels wide per column and PANEL_H high per row of
panels, COLUMNS to a row, so its size says how many panels it has.
"""
import math
import os
import shutil
import subprocess
import tempfile

COLUMNS, PANEL_W, PANEL_H = 3, 520, 340


def size(npanels):
    rows = max(1, math.ceil(npanels / COLUMNS))
    return COLUMNS * PANEL_W, rows * PANEL_H


def _quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plot(path, tests, series, floor=None, title=""):
    """tests: the panel order; series: {vmm: {test: [ns, ...]}};
    floor: {test: ns}. Returns None, or why no plot was drawn."""
    gnuplot = shutil.which("gnuplot")
    if not gnuplot:
        return "gnuplot is not installed (Debian: apt-get install gnuplot-nox)"
    floor = floor or {}
    w, h = size(len(tests))
    rows = max(1, math.ceil(len(tests) / COLUMNS))
    with tempfile.TemporaryDirectory(prefix="exitlab-plot-") as tmp:
        script = [f"set terminal pngcairo size {w},{h} font ',9' noenhanced",
                  f"set output {_quote(os.path.abspath(path))}",
                  f"set multiplot layout {rows},{COLUMNS} title {_quote(title)}",
                  "set logscale x", "set yrange [0:1]", "set key bottom right",
                  "set xlabel 'ns per operation (log)'", "set ylabel 'fraction of samples'",
                  "set grid"]
        for ti, test in enumerate(tests):
            plots = []
            for vi, (vmm, per_test) in enumerate(series.items()):
                vals = sorted(v for v in per_test.get(test, []) if v > 0)
                if not vals:
                    continue
                data = os.path.join(tmp, f"{ti}-{vi}.dat")
                with open(data, "w") as f:
                    for k, v in enumerate(vals):
                        f.write(f"{v} {(k + 1) / len(vals)}\n")
                plots.append(f"{_quote(data)} using 1:2 with steps lw 2 title {_quote(vmm)}")
            script.append("unset arrow")
            if test in floor and floor[test] > 0:
                script.append(f"set arrow from {floor[test]},0 to {floor[test]},1 nohead dt 2 lw 2 lc 'black'")
                script.append(f"set label 1 'floor' at {floor[test]},0.95 right offset -0.5,0")
            else:
                script.append("unset label 1")
            script.append(f"set title {_quote(test)}")
            if plots:
                script.append("plot " + ", ".join(plots))
            else:  # a panel all the same, marked empty (no VMM ran this test)
                script.append("set label 2 'no samples' at graph 0.5,0.5 center")
                script.append("plot [1:10] NaN notitle")
                script.append("unset label 2")
        script.append("unset multiplot")
        p = subprocess.run([gnuplot], input="\n".join(script) + "\n", capture_output=True, text=True)
        if p.returncode != 0:
            return f"gnuplot failed: {p.stderr.strip()[-500:]}"
    return None
