"""bench_stats - what scripts/bench computes from the guest's bench lines:
parsing them, percentiles, and the ratio of two runs with a bootstrap
interval. Imported, not run; pure functions over numbers and text, so a
test can feed them made-up samples.

The guest prints, per test (guest/bench.c):

  bench NAME iters=N cycles=C ns=X ... (percentiles) batch=B samples=S
  bench-raw NAME batch=B from=K CYCLES,CYCLES,...      (bench.raw=1)
  bench NAME skipped: REASON

and once per bench= action a header with the TSC frequency. A raw sample
is the cycles of one batch of B operations, timing overhead subtracted; per
operation that is CYCLES / B cycles and CYCLES / B * 1e6 / tsc_khz ns.
"""
import random
import re
import statistics

PERCENTILES = (("min", 0), ("p1", 1), ("p10", 10), ("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))

HEADER = re.compile(r"^bench: (\d+) samples of (\d+) operations per test, TSC (\d+) kHz")
RESULT = re.compile(r"^bench (\S+) iters=(\d+) cycles=(\d+) ns=([\d.]+) .* batch=(\d+) samples=(\d+)$")
RAW = re.compile(r"^bench-raw (\S+) batch=(\d+) from=(\d+) ([\d,]+)$")
SKIPPED = re.compile(r"^bench (\S+) skipped: (.*)$")
PER_OP = re.compile(r" (notifies_per_op|interrupts_per_op)=([\d.]+)")
# What a virtio-blk test ran on (guest/blk.c, blk_bench_extra).
WHERE = re.compile(r" disk=(\d+) disks=(\d+) bdf=(\S+) queue=(\d+) queues=(\d+) notify_addr=(0x[0-9a-f]+)")


def percentile(sorted_values, pct):
    """Nearest rank below, as the guest computes it: for an odd count,
    50 is the median."""
    return sorted_values[(len(sorted_values) - 1) * pct // 100]


def percentiles(values):
    s = sorted(values)
    return {name: percentile(s, pct) for name, pct in PERCENTILES}


def parse_guest(text):
    """One boot's output -> (tsc_khz or None, {test: result}, {test: reason}).

    result: batch, the guest's own median (cycles, ns), and the raw samples
    as per-operation cycles and ns, in the order taken; for a virtio-blk
    test also "where": the disk and queue it timed. A test with a
    result line but no raw lines (bench.raw=0) has empty sample lists."""
    tsc_khz, results, skipped = None, {}, {}
    for line in text.splitlines():
        line = line.rstrip("\r")
        m = HEADER.match(line)
        if m:
            tsc_khz = int(m.group(3))
            continue
        m = RESULT.match(line)
        if m:
            results[m.group(1)] = {"batch": int(m.group(5)), "guest_median_cycles": int(m.group(3)),
                                   "guest_median_ns": float(m.group(4)), "cycles": [], "ns": []}
            for k, v in PER_OP.findall(line):  # exits the test made or avoided, per operation
                results[m.group(1)][k] = float(v)
            w = WHERE.search(line)
            if w:  # the disk and queue a virtio-blk test timed
                results[m.group(1)]["where"] = {"disk": int(w.group(1)), "disks": int(w.group(2)), "bdf": w.group(3),
                                                "queue": int(w.group(4)), "queues": int(w.group(5)),
                                                "notify_addr": w.group(6)}
            continue
        m = RAW.match(line)
        if m and m.group(1) in results:
            r = results[m.group(1)]
            batch = int(m.group(2))
            r["cycles"] += [int(c) / batch for c in m.group(4).split(",")]
            continue
        m = SKIPPED.match(line)
        if m:
            skipped[m.group(1)] = m.group(2)
    if tsc_khz:
        for r in results.values():
            r["ns"] = [c * 1e6 / tsc_khz for c in r["cycles"]]
    return tsc_khz, results, skipped


def bootstrap_ratio(a, b, rounds=1000, seed=1):
    """median(b) / median(a) and a 95% bootstrap interval: resample each
    side's values with replacement, `rounds` times. The values are samples,
    or boots' medians (boot_medians()), so that the spread between boots is
    in the interval."""
    rng = random.Random(seed)
    ma, mb = statistics.median(a), statistics.median(b)
    ratio = mb / ma if ma else float("inf")
    ratios = []
    for _ in range(rounds):
        ra = statistics.median(rng.choices(a, k=len(a)))
        rb = statistics.median(rng.choices(b, k=len(b)))
        if ra:
            ratios.append(rb / ra)
    ratios.sort()
    if not ratios:
        return ratio, float("nan"), float("nan")
    return (ratio, *interval95(ratios))


def interval95(resampled):
    """The 2.5th and 97.5th percentiles of sorted bootstrap medians: a 95%
    interval."""
    n = len(resampled)
    return resampled[int(0.025 * (n - 1))], resampled[int(round(0.975 * (n - 1)))]


def boot_medians(row):
    """Each boot's median of a result row (boots without samples left out):
    what a ratio over boots, and its resampling, take."""
    return [statistics.median(b["ns"]) for b in row.get("boots", []) if b["ns"]]


def boot_pairs(a_row, b_row):
    """The boots of two rows that ran in the same round of the sitting, as
    (median of a's boot, median of b's). A boot's round is saved with it;
    in runs saved before that, its place in the list stands for it (boots
    were appended round by round)."""
    def by_round(row):
        return {b.get("round", i): statistics.median(b["ns"])
                for i, b in enumerate(row.get("boots", [])) if b["ns"]}
    ra, rb = by_round(a_row), by_round(b_row)
    return [(ra[k], rb[k]) for k in sorted(ra) if k in rb]


def paired_ratio(pairs, rounds=1000, seed=1):
    """The median of the pairs' ratios b / a, and a 95% bootstrap interval
    over the pairs ([lo, hi], or None with fewer than 3). The two of a pair
    ran one after the other, so what the host drifts between rounds moves
    both and cancels in their ratio: the issue's "medians of pair ratios,
    interleaved". (None, None) without a pair."""
    ratios = [b / a for a, b in pairs if a]
    if not ratios:
        return None, None
    mid = statistics.median(ratios)
    if len(ratios) < 3:
        return mid, None
    rng = random.Random(seed)
    meds = sorted(statistics.median(rng.choices(ratios, k=len(ratios))) for _ in range(rounds))
    return mid, list(interval95(meds))


def ratio_text(ratio, interval):
    """'1.000x [0.99, 1.01]': a pair ratio and its interval (if any), as
    the report's and bench-doc's floor tables show it."""
    return f"{ratio:.3f}x" + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")


def spread(values):
    """p90 / p10 of the values: how much a sitting wobbled."""
    p = percentiles(values)
    return p["p90"] / p["p10"] if p["p10"] else float("inf")


def target_line(t):
    """One target of scripts/bench --sweep (a dict of its JSON's sweep.targets) in
    words, as its report and bench-doc say it."""
    return check_line(sweep_check(t))


def sweep_check(t):
    """A sweep target as one of issue_targets()."""
    r = t["ratio"]
    return {"head": f"{t['test']} with {t['config']} within {t['limit']:.2f}x of {t['against']}",
            "value": r, "shown": None if r is None else f"{r:.2f}x", "interval": t.get("interval"), "met": t["met"]}


WOKEN = " (woken reader)"  # build/floor's notify_woken: a thread waits on the eventfd


def floor_against(row):
    """The VMMs' row a floor row is compared with: notify (woken reader)
    is notify's floor for a VMM that serves notifies from a sleeping
    thread (tools/floor.c)."""
    return row[:-len(WOKEN)] if row.endswith(WOKEN) else row


# The benchmark issue's targets, checked against one sitting's numbers:
# each limit, and what it compares. Ratios are medians of pair ratios (a
# boot of each side from the same round; the floor's: the floor pairs, one
# kind's boots back to back, where the sitting ran them; start-up: the runs
# of one round), with a bootstrap interval over the pairs where there are
# three or more.
FLOOR_LIMIT = 1.05        # every exit kind of the exitlab VMM against build/floor
BLK_LIMIT = 0.75          # exitlab's polled 4 KiB read against QEMU q35's
BLK_ROWS = ("blk_read_poll", "blk_read_poll (no ioeventfd)")
STARTUP_LIMIT = 1.5       # process start to exit, against build/bare-vm
RSS_LIMIT_KIB = 2048      # the VMM's peak RSS, bare and with a disk


def _ratio_check(head, a_row, b_row, limit, rounds):
    """b / a of two result rows against limit, paired by round."""
    ratio, iv = paired_ratio(boot_pairs(a_row or {}, b_row or {}), rounds)
    if ratio is None:
        return {"head": head, "value": None, "shown": None, "interval": None, "met": None}
    return {"head": head, "value": ratio, "shown": f"{ratio:.3f}x", "interval": iv, "met": ratio <= limit}


def issue_targets(result, rounds=1000):
    """Each target the sitting can say something about, met or not (or
    not measured), computed from its saved numbers alone, so that --from and
    bench-doc say what the run said."""
    out = []
    vmms = result.get("vmms") or {}
    ex = vmms.get("exitlab") if (vmms.get("exitlab") or {}).get("status") == "ok" else None
    fl = result.get("floor") if (result.get("floor") or {}).get("status") == "ok" else None
    pairs = (result.get("floor_pairs") or {}).get("tests") or {}
    if ex and fl:
        for t, frow in fl["tests"].items():
            vt = floor_against(t)
            if (frow.get("median_ns") or 0) >= 1 and vt in ex["tests"]:
                # The floor pairs (one kind's boots back to back) where the
                # sitting ran them; else the boots of one round of bench=all.
                p = pairs.get(t)
                sides = (p["floor"], p["exitlab"]) if p and boot_pairs(p["floor"], p["exitlab"]) else \
                    (frow, ex["tests"][vt])
                out.append(_ratio_check(f"{t}: exitlab within {FLOOR_LIMIT:.2f}x of the floor",
                                        *sides, FLOOR_LIMIT, rounds))
    qemu = vmms.get("qemu") if (vmms.get("qemu") or {}).get("status") == "ok" else None
    if ex and qemu:
        for t in BLK_ROWS:
            if t in ex["tests"] and t in qemu["tests"]:
                out.append(_ratio_check(f"{t}: exitlab at most {BLK_LIMIT:.2f}x QEMU q35",
                                        qemu["tests"][t], ex["tests"][t], BLK_LIMIT, rounds))
    st = result.get("startup") or {}
    bare, up = st.get("bare-vm") or {}, st.get("exitlab")
    if bare.get("median_ms") and up:
        ms = up["median_ms"]
        if bare.get("ms") and up.get("ms"):  # the n-th run of each ran in round n
            r, iv = paired_ratio(list(zip(bare["ms"], up["ms"])), rounds)
        else:                                 # saved before the runs were
            r, iv = (ms / bare["median_ms"] if ms else None), None
        out.append({"head": f"start-up: exitlab at most {STARTUP_LIMIT:.1f}x build/bare-vm", "value": r,
                    "shown": f"{r:.2f}x ({ms:.2f} against {bare['median_ms']:.2f} ms)" if r else None,
                    "interval": iv, "met": None if r is None else r <= STARTUP_LIMIT})
    sweep = result.get("sweep") if (result.get("sweep") or {}).get("status") == "ok" else None
    out += avoided_targets(ex, sweep)
    for k in ("exitlab", "exitlab --disk"):
        if k in st:
            kib = st[k].get("peak_rss_kib")
            out.append({"head": f"peak RSS: {k} at most {RSS_LIMIT_KIB} KiB", "value": kib,
                        "shown": f"{kib} KiB" if kib else None, "interval": None,
                        "met": None if not kib else kib <= RSS_LIMIT_KIB})
    return out


# The exits-avoided issue's targets: a burst of 8 polled reads, each kicked
# on its own (blk_burst_poll), makes fewer than 8 notifies with EVENT_IDX
# and with the I/O thread polling, each against the flag form (no
# EVENT_IDX) for the latency; and a steady stream of reads (blk_read_poll)
# makes none with polling, against notifying every request.
BURST_ROWS = (("blk_burst_poll", "EVENT_IDX"), ("blk_burst_poll (poll 50us)", "--iothread-poll=50"))
BURST_BASE = "blk_burst_poll (flags)"
STREAM_ROW, STREAM_BASE = "blk_read_poll (poll 50us)", "blk_read_poll"


def _latency(tests, row, base, against):
    """'; X µs a request against Y <against> (Z x)', or '' without both."""
    a, b = ((tests.get(r) or {}).get("median_ns") for r in (row, base))
    return f"; {a / 1000:.1f} µs a request against {b / 1000:.1f} {against} ({a / b:.2f}x)" if a and b else ""


def per_op(row, key="notifies_per_op"):
    """The median over a row's boots of a count the guest made per
    operation (notifies_per_op, interrupts_per_op); None without one."""
    got = [b[key] for b in (row or {}).get("boots", []) if key in b]
    return statistics.median(got) if got else None


def avoided_targets(ex, sweep):
    """The exits-avoided and multi-queue targets the sitting can say
    something about (the --avoided rows, the --sweep targets)."""
    out = []
    tests = ex["tests"] if ex else {}
    for row, how in BURST_ROWS:
        n = per_op(tests.get(row))
        if n is not None:
            flags = per_op(tests.get(BURST_BASE))
            out.append({"head": f"{row}: a burst of 8 polled reads with {how} makes fewer than 8 notifies",
                        "value": n, "interval": None, "met": n < 1,
                        "shown": f"{n * 8:.2f} notifies a burst" + ("" if flags is None else f" ({flags * 8:.2f} "
                                 "with the flag form)") + _latency(tests, row, BURST_BASE, "with the flag form")})
    n = per_op(tests.get(STREAM_ROW))
    if n is not None:
        # Not 0: the host kept the I/O thread off its CPU past its 50 µs
        # window, polling ended, and the next request notified.
        out.append({"head": f"{STREAM_ROW}: a steady stream with the I/O thread polling makes no notify exit",
                    "value": n, "interval": None, "met": n == 0,
                    "shown": f"{n:.3f} notifies a request" + _latency(tests, STREAM_ROW, STREAM_BASE,
                                                                      "notifying each")})
    return out + [sweep_check(t) for t in (sweep or {}).get("targets", [])]


def check_line(c):
    """One of issue_targets() in words, as the report and bench-doc say it."""
    if c["value"] is None:
        return f"{c['head']}: not measured"
    iv = f" (95% interval {c['interval'][0]:.2f}-{c['interval'][1]:.2f})" if c.get("interval") else ""
    return f"{c['head']}: {c['shown']}{iv}: {'met' if c['met'] else 'MISSED'}"
