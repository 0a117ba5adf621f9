#!/usr/bin/env python3
"""Turns the raw runs of scripts/bench into the markdown report and the PNG.

Usage: report.py RUN_DIR OUT_PREFIX
  RUN_DIR holds meta.env and raw.tsv (one line per redis-benchmark run, its
  CSV output in the file named by the `out` column); writes OUT_PREFIX.md,
  OUT_PREFIX.png (through gnuplot, when it is installed) and prints the
  markdown. Standard library only.
"""

import csv
import math
import os
import shutil
import statistics
import subprocess
import sys
from collections import defaultdict

# Issue 3's targets.
P16_STRONG = ["SET", "GET", "INCR", "LPUSH", "LPOP", "SADD", "HSET", "ZADD"]
P1_TARGET = ["PING_INLINE", "PING_MBULK", "SET", "GET"]
DEFAULT_TESTS = [
    "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD",
    "HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE_100", "LRANGE_300", "LRANGE_500", "LRANGE_600", "MSET",
]
NAMES = {"ringkv": "ringkv", "redis": "Redis", "valkey": "Valkey"}
# redis-benchmark is single-threaded per --threads: past this share of its
# core(s) it, not the server, limits the rate.
CLIENT_SATURATED = 0.90


def load_meta(path):
    meta = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                meta[k] = v
    return meta


def parse_bench_csv(path):
    """rps, p50 ms, p99 ms from redis-benchmark --csv (last data row); column
    names are looked up, so versions without percentiles give None."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError:
        return None
    if len(rows) < 2:
        return None
    head = rows[0]
    row = rows[-1]

    def col(name):
        if name in head and head.index(name) < len(row):
            try:
                return float(row[head.index(name)])
            except ValueError:
                return None
        return None

    rps = col("rps")
    if rps is None:
        return None
    return rps, col("p50_latency_ms"), col("p99_latency_ms")


def first_error(path):
    try:
        with open(path, errors="replace") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("WARNING"):
                    return line.replace("Error from server: ", "")[:70]
    except OSError:
        pass
    return "no output"


class Cell:
    """All rounds of one (mode, pipeline, test, server)."""

    def __init__(self):
        self.rps, self.p50, self.p99, self.cpu_per_m, self.client_util, self.server_util = [], [], [], [], [], []
        # Pinned mode: the server core's user and kernel µs per request.
        self.core_user_us, self.core_kernel_us = [], []
        self.errors = []
        self.crashed = False
        self.client_threads = 1

    def med(self, xs):
        xs = [x for x in xs if x is not None]
        return statistics.median(xs) if xs else None

    @property
    def ok(self):
        return self.rps and not self.errors and not self.crashed


def collect(run_dir):
    cells = defaultdict(Cell)
    order = []
    labels = {}
    other = []
    with open(os.path.join(run_dir, "raw.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            if r["test"] == "prep":
                continue
            if r.get("other_cpu_s") and float(r["wall_s"]) > 0:
                other.append(max(0.0, float(r["other_cpu_s"])) / float(r["wall_s"]))
            key = (r["mode"], int(r["pipeline"]), r["test"], r["server"])
            if r["test"] not in order:
                order.append(r["test"])
            labels[r["test"]] = r["label"]
            c = cells[key]
            if r["rc"] == "crashed":
                c.crashed = True
                continue
            res = parse_bench_csv(r["out"])
            if r["rc"] != "0" or res is None:
                c.errors.append(first_error(r["err"]))
                continue
            rps, p50, p99 = res
            n = int(r["requests"])
            wall = float(r["wall_s"])
            c.rps.append(rps)
            c.p50.append(p50)
            c.p99.append(p99)
            c.cpu_per_m.append(float(r["server_cpu_s"]) / n * 1e6)
            if r.get("core_user_s") and r.get("core_kernel_s"):
                c.core_user_us.append(float(r["core_user_s"]) / n * 1e6)
                c.core_kernel_us.append(float(r["core_kernel_s"]) / n * 1e6)
            if wall > 0:
                # Both as a share of one core; the client is saturated when
                # each of its threads is near 100%.
                c.client_util.append(float(r["client_cpu_s"]) / wall)
                c.client_threads = int(r["client_threads"])
                c.server_util.append(float(r["server_cpu_s"]) / wall)
    return cells, order, labels, other


def fmt_rps(x):
    return f"{x:,.0f}" if x is not None else "-"


def fmt_ms(a, b):
    f = lambda v: "-" if v is None else f"{v:.3f}".rstrip("0").rstrip(".") if v < 10 else f"{v:.1f}"
    return f"{f(a)} / {f(b)}"


def fmt_ratio(x):
    return f"{x:.2f}×" if x is not None and not math.isnan(x) else "-"


def ratio(cells, mode, p, test, a="ringkv", b="redis"):
    ca, cb = cells.get((mode, p, test, a)), cells.get((mode, p, test, b))
    if not (ca and cb and ca.ok and cb.ok):
        return None
    return ca.med(ca.rps) / cb.med(cb.rps)


def cpu_ratio(cells, mode, p, test):
    ca, cb = cells.get((mode, p, test, "ringkv")), cells.get((mode, p, test, "redis"))
    if not (ca and cb and ca.ok and cb.ok):
        return None
    a, b = ca.med(ca.cpu_per_m), cb.med(cb.cpu_per_m)
    return a / b if b else None


def table(cells, mode, p, tests, labels, servers):
    others = [s for s in servers if s not in ("ringkv", "redis")]
    head = ["test", "ringkv rps", "Redis rps"] + [f"{NAMES.get(s, s)} rps" for s in others]
    head += ["ringkv / Redis", "p50 / p99 ms ringkv", "p50 / p99 ms Redis", "CPU s/Mreq ringkv", "CPU s/Mreq Redis"]
    head += [f"CPU s/Mreq {NAMES.get(s, s)}" for s in others]
    head += ["CPU ringkv / Redis", "server CPU % ringkv / Redis", "client CPU % ringkv / Redis run", "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in tests:
        row = [labels[t]]
        notes = []
        for s in ["ringkv", "redis"] + others:
            c = cells.get((mode, p, t, s))
            if c is None:
                row.append("-")
            elif c.crashed:
                row.append("crashed")
                notes.append(f"{NAMES.get(s, s)} crashed")
            elif c.errors:
                row.append("errors")
                notes.append(f"{NAMES.get(s, s)}: `{c.errors[0]}`")
            else:
                row.append(fmt_rps(c.med(c.rps)))
        row.append(fmt_ratio(ratio(cells, mode, p, t)))
        for s in ["ringkv", "redis"]:
            c = cells.get((mode, p, t, s))
            row.append(fmt_ms(c.med(c.p50), c.med(c.p99)) if c and c.ok else "-")
        for s in ["ringkv", "redis"] + others:
            c = cells.get((mode, p, t, s))
            row.append(f"{c.med(c.cpu_per_m):.2f}" if c and c.ok else "-")
        row.append(fmt_ratio(cpu_ratio(cells, mode, p, t)))
        sutil, cutil, bound = [], [], []
        for s in ["ringkv", "redis"]:
            c = cells.get((mode, p, t, s))
            ok = c is not None and c.ok
            su, cu = (c.med(c.server_util), c.med(c.client_util)) if ok else (None, None)
            sutil.append("-" if su is None else f"{100 * su:.0f}")
            cutil.append("-" if cu is None else f"{100 * cu:.0f}")
            if cu is not None and cu >= CLIENT_SATURATED * c.client_threads:
                bound.append(NAMES[s])
        row.append(" / ".join(sutil))
        row.append(" / ".join(cutil))
        if bound:
            notes.insert(0, "client-bound (" + ", ".join(bound) + ")")
        row.append("; ".join(notes))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def client_bound(cells, mode, p, t):
    """' (client-bound)' when redis-benchmark saturated its core in either run."""
    for s in ("ringkv", "redis"):
        c = cells.get((mode, p, t, s))
        if c and c.ok:
            u = c.med(c.client_util)
            if u is not None and u >= CLIENT_SATURATED * c.client_threads:
                return " (client-bound)"
    return ""


def rps_note(cells, mode, p, t, factor):
    """For a requests/s target: ' (client-bound)', and when the target is
    missed because redis-benchmark saturated its core against ringkv, the
    figures that say so: the rate it reached, the rate the target needs,
    and the CPU-per-request ratio, which the client does not limit."""
    note = client_bound(cells, mode, p, t)
    rk, rd = cells.get((mode, p, t, "ringkv")), cells.get((mode, p, t, "redis"))
    if not note or not (rk and rd and rk.ok and rd.ok):
        return note
    need, got, u = factor * rd.med(rd.rps), rk.med(rk.rps), rk.med(rk.client_util)
    if got >= need or u is None or u < CLIENT_SATURATED * rk.client_threads:
        return note
    # The fastest the client ran against ringkv on any default test here.
    best = max((c.med(c.rps), x) for (m2, p2, x, s2), c in cells.items()
               if m2 == mode and p2 == p and s2 == "ringkv" and x in DEFAULT_TESTS and c.ok)
    reach = (f"beyond the {fmt_rps(best[0])} of its fastest test here ({best[1]}): out of reach with one client core"
             if need > best[0] else f"which it reached on {best[1]} ({fmt_rps(best[0])})")
    cr = cpu_ratio(cells, mode, p, t)
    return (f" (client-bound: redis-benchmark used {100 * u:.0f}% of its core at {fmt_rps(got)} requests/s "
            f"against ringkv; the target needs {fmt_rps(need)}, {reach}"
            f"{'; server CPU per request ' + fmt_ratio(cr) + ' of Redis' if cr else ''})")


def summary(cells, order, labels, modes, pipelines):
    """One line per test: ratios of every mode and pipeline depth."""
    cols = [(m, p) for m in modes for p in pipelines]
    head = ["test"]
    for m, p in cols:
        head.append(f"{m} -P {p}: rps ringkv / Redis")
        if m == "pinned":
            head.append(f"{m} -P {p}: CPU/req ringkv / Redis")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for t in order:
        row = [labels[t]]
        for m, p in cols:
            if (m, p, t, "ringkv") not in cells:
                row += ["-"] * (2 if m == "pinned" else 1)
                continue
            r = ratio(cells, m, p, t)
            mark = "†" if r is not None and client_bound(cells, m, p, t) else ""
            row.append(fmt_ratio(r) + mark if r is not None else status(cells, m, p, t))
            if m == "pinned":
                c = cpu_ratio(cells, m, p, t)
                row.append(fmt_ratio(c) if c is not None else status(cells, m, p, t))
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    lines.append("† client-bound: redis-benchmark saturated its core in at least one of the two runs, so the rps "
                 "ratio understates the difference between the servers; the CPU ratio does not.")
    return "\n".join(lines)


def verdict(ok):
    return "**pass**" if ok else "**MISS**"


def core_split(cells, mode, p, test):
    """The server core's time per request split into user and kernel (the
    loopback TCP path, which costs both servers alike), when measured."""
    parts = []
    for s in ["ringkv", "redis"]:
        c = cells.get((mode, p, test, s))
        u, k = (c.med(c.core_user_us), c.med(c.core_kernel_us)) if c else (None, None)
        if u is None or k is None:
            return ""
        parts.append(f"{NAMES[s]} {u:.2f} / {k:.2f}")
    return f"; server core µs/req, user / kernel: {', '.join(parts)}"


def targets(cells, meta, modes, pipelines):
    out = ["| target | measured | verdict |", "|---|---|---|"]
    m = "pinned" if "pinned" in modes else modes[0]
    if 16 in pipelines:
        for t in P16_STRONG:
            r = ratio(cells, m, 16, t)
            out.append(f"| -P 16 {t} ≥ 1.5× Redis | {fmt_ratio(r) if r else status(cells, m, 16, t)}"
                       f"{rps_note(cells, m, 16, t, 1.5) if r else ''} | "
                       f"{verdict(r is not None and r >= 1.5)} |")
        rs = {t: ratio(cells, m, 16, t) for t in DEFAULT_TESTS if (m, 16, t, "ringkv") in cells}
        below = [f"{t} {fmt_ratio(r) if r else status(cells, m, 16, t)}" for t, r in rs.items() if r is None or r < 1.0]
        out.append(f"| -P 16 every default test ≥ 1.0× | {len(rs) - len(below)}/{len(rs)} at or above"
                   f"{'; below: ' + ', '.join(below) if below else ''} | {verdict(rs and not below)} |")
        for t in ["SET", "GET"]:
            r = cpu_ratio(cells, m, 16, t)
            out.append(f"| -P 16 {t} server CPU/Mreq ≤ 0.7× Redis | {fmt_ratio(r) if r else status(cells, m, 16, t)}"
                       f"{core_split(cells, m, 16, t) if r else ''} | {verdict(r is not None and r <= 0.7)} |")
    if 1 in pipelines:
        for t in P1_TARGET:
            r = ratio(cells, m, 1, t)
            out.append(f"| -P 1 {t} ≥ 1.2× Redis | {fmt_ratio(r) if r else status(cells, m, 1, t)}"
                       f"{rps_note(cells, m, 1, t, 1.2) if r else ''} | "
                       f"{verdict(r is not None and r >= 1.2)} |")
    if "unpinned" in modes:
        shards = len(meta.get("cpus", "").split())
        for p in pipelines:
            for cross, tag in [("MSET_R", "MSET_TAG"), ("MGET_R", "MGET_TAG")]:
                a, b = cells.get(("unpinned", p, cross, "ringkv")), cells.get(("unpinned", p, tag, "ringkv"))
                if a and b and a.ok and b.ok:
                    r = a.med(a.rps) / b.med(b.rps)
                    # What spreading the work over two shards costs by itself
                    # here, nothing crossing (the *_2TAG rows).
                    two = cells.get(("unpinned", p, cross[:4] + "_2TAG", "ringkv"))
                    ref = ""
                    if two and two.ok:
                        ref = (f"; two {{tag}}s on two shards at once, nothing crossing: "
                               f"{fmt_rps(two.med(two.rps))} = {fmt_ratio(two.med(two.rps) / b.med(b.rps))}")
                    out.append(f"| --shards {shards}, -P {p}: {cross[:4]} 10 keys across shards ≥ 0.8× all keys "
                               f"on one shard ({{tag}}) | {fmt_rps(a.med(a.rps))} vs {fmt_rps(b.med(b.rps))} rps = "
                               f"{fmt_ratio(r)}{ref} | {verdict(r >= 0.8)} |")
                elif a or b:
                    out.append(f"| --shards {shards}, -P {p}: {cross[:4]} across shards ≥ 0.8× one shard | "
                               f"{status(cells, 'unpinned', p, cross)} / {status(cells, 'unpinned', p, tag)} | **MISS** |")
    out.append("| memory per small string key ≤ Redis's | see `scripts/bench-memory` | - |")
    return "\n".join(out)


def status(cells, mode, p, t, s="ringkv"):
    c = cells.get((mode, p, t, s))
    if c is None:
        return "not run"
    if c.crashed:
        return "crashed"
    if c.errors:
        return "errors"
    o = cells.get((mode, p, t, "redis"))
    if o is None or not o.ok:
        return "Redis errors"
    return "-"


def chart(cells, order, labels, modes, pipelines, prefix, run_dir):
    gp = shutil.which("gnuplot")
    if not gp:
        print("gnuplot not found: no PNG", file=sys.stderr)
        return None
    datafiles = []
    for m in modes:
        path = os.path.join(run_dir, f"chart-{m}.dat")
        with open(path, "w") as f:
            f.write("# test\t" + "\t".join(f"-P {p}" for p in pipelines) + "\tmark\n")
            for t in order:
                vals = [ratio(cells, m, p, t) for p in pipelines]
                mark = " ".join(status(cells, m, p, t) for p, v in zip(pipelines, vals) if v is None)
                mark = "errors" if "errors" in mark else ("crashed" if "crashed" in mark else "")
                f.write(t + "\t" + "\t".join("NaN" if v is None else f"{v:.3f}" for v in vals)
                        + f"\t{mark or '-'}\n")
        datafiles.append((m, path))
    title = {
        "pinned": "pinned: each server on one core, redis-benchmark on the others",
        "unpinned": "unpinned: ringkv with all shards, nothing pinned",
    }
    script = [
        f"set terminal pngcairo size 1400,{520 * len(datafiles)} font ',10'",
        f"set output '{prefix}.png'",
        "set datafile separator '\\t'",
        "set datafile missing 'NaN'",
        "set style data histogram",
        "set style histogram cluster gap 1",
        "set style fill solid 0.8 border -1",
        "set boxwidth 0.9",
        "set xtics rotate by -40 scale 0",
        "set ylabel 'requests/s, ringkv / Redis'",
        "set yrange [0:*]",
        "set grid ytics",
        "set key outside right top",
        "set termoption noenhanced",
        f"set multiplot layout {len(datafiles)},1",
    ]
    for m, path in datafiles:
        cols = ", ".join(
            (f"'{path}' using {i + 2}:xtic(1)" if i == 0 else f"'' using {i + 2}") + f" title '-P {p}'"
            for i, p in enumerate(pipelines)
        )
        script += [
            f"set title 'ringkv / Redis (median of rounds), {title.get(m, m)}'",
            f"plot {cols}, 1 with lines lc rgb 'black' dt 2 title 'Redis = 1', "
            f"'{path}' using 0:(0.02):(stringcolumn({len(pipelines) + 2}) eq '-' ? '' : "
            f"stringcolumn({len(pipelines) + 2})) with labels rotate by 90 left notitle",
        ]
    script.append("unset multiplot")
    gp_path = os.path.join(run_dir, "chart.gp")
    with open(gp_path, "w") as f:
        f.write("\n".join(script) + "\n")
    # pngcairo may be missing from a minimal gnuplot; fall back to png.
    r = subprocess.run([gp, gp_path], capture_output=True, text=True)
    if r.returncode != 0 and "unknown or ambiguous terminal" in r.stderr:
        script[0] = script[0].replace("pngcairo", "png")
        with open(gp_path, "w") as f:
            f.write("\n".join(script) + "\n")
        r = subprocess.run([gp, gp_path], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"gnuplot failed: {r.stderr.strip()}", file=sys.stderr)
        return None
    return f"{prefix}.png"


def main():
    run_dir, prefix = sys.argv[1], sys.argv[2]
    meta = load_meta(os.path.join(run_dir, "meta.env"))
    cells, order, labels, other = collect(run_dir)
    modes = meta["modes"].split()
    servers = meta["servers"].split()
    pipelines = sorted({k[1] for k in cells})
    md = [f"## ringkv vs Redis: redis-benchmark, {meta['date']}", ""]
    md.append(f"- Machine: {meta['machine']}.")
    md.append(f"- Servers: ringkv {meta['ringkv']}; Redis {meta['redis']} (`--save \"\" --appendonly no`)"
              + (f"; {meta['valkey']}" if "valkey" in meta else "; no valkey-server on PATH")
              + f". Client: {meta['benchmark']}.")
    md.append(f"- {meta['clients']} clients; requests/s and latency are medians of {meta['rounds']} rounds, "
              "servers interleaved (A B, B A, ...), the same redis-benchmark arguments for every server; "
              f"request counts scaled by {meta['scale']} (in `raw.tsv`).")
    md.append("- Server core µs/req, user / kernel (CPU targets, pinned mode): the server core's time "
              "from /proc/stat (user + nice; system + irq + softirq) per request. That core runs only the "
              "server; its kernel time is mostly the loopback TCP path, including the delivery of each "
              "reply into the client's socket, which both servers pay alike.")
    md.append("- CPU s/Mreq: the server's CPU seconds, all threads (from /proc/PID/task/*/schedstat; "
              "utime+stime of /proc/PID/stat is in `raw.tsv` too), per million requests. "
              "Server and client CPU %: CPU time over the run's wall time, in % of one core. "
              f"`client-bound`: redis-benchmark used ≥ {CLIENT_SATURATED:.0%} of each of its threads' cores, "
              "so it, not the server, set the rate; compare CPU s/Mreq there.")
    md.append(f"- Load average before/after: {meta.get('load_before', '?')} / {meta.get('load_after', '?')}; "
              f"run time {meta.get('elapsed_s', '?')} s.")
    if other:
        med, top = statistics.median(other), max(other)
        md.append(f"- Other processes on the machine during the measurements: median {100 * med:.0f}% of a core "
                  f"(max {100 * top:.0f}%), from /proc/stat minus the server's and the client's CPU.")
        if med > 0.15:
            md.append("- **Warning: the machine was busy with other work during this run; the servers and the client "
                      "competed with it for the cores, so these figures are noisy. Rerun on an idle machine.**")
    md.append("")
    md.append("### Summary")
    md.append("")
    md.append(summary(cells, order, labels, modes, pipelines))
    md.append("")
    for m in modes:
        if m == "pinned":
            md.append(f"### Pinned: every server on CPU {meta['server_cpu']} (ringkv `--shards 1`), "
                      f"redis-benchmark on CPU {meta['client_cpus']}")
        else:
            md.append(f"### Unpinned, for information: ringkv `--shards {len(meta['cpus'].split())}`, "
                      "nothing pinned (the client competes with the servers for the cores)")
        md.append("")
        for p in pipelines:
            tests = [t for t in order if (m, p, t, "ringkv") in cells or (m, p, t, "redis") in cells]
            if not tests:
                continue
            md.append(f"#### -P {p}")
            md.append("")
            md.append(table(cells, m, p, tests, labels, servers))
            md.append("")
    md.append("### Targets (issue 3)")
    md.append("")
    md.append(targets(cells, meta, modes, pipelines))
    md.append("")
    png = chart(cells, order, labels, modes, pipelines, prefix, run_dir)
    if png:
        md.append(f"Chart: `{os.path.basename(png)}`.")
        md.append("")
    text = "\n".join(md)
    with open(prefix + ".md", "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
