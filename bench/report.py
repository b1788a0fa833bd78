#!/usr/bin/env python3
"""Turn the benchmark tables into the --md and --svg files (results/).

Inputs are the markdown the benchmarks print: the user-space table of
bench/user (awbench) and the kernel tables that bench/run.sh extracts from the
console log (lines "awbench: ...").  Also checks the issue's targets, each a
ratio within one run.  Python 3 standard library only.
"""
import argparse
import os
import html
import re

NUM = re.compile(r"-?\d+(?:\.\d+)?")


def sections(text):
    """{title: [[cell, ...], ...]} for each '### title' and its table rows."""
    out, cur = {}, None
    for line in text.splitlines():
        if line.startswith("### "):
            cur = line[4:].strip()
            out[cur] = []
        elif line.startswith("| scenario |"):
            cur = "user"
            out[cur] = []
        elif cur and line.startswith("|") and not line.startswith("|--") \
                and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] not in ("primitive", "type", "scenario"):
                out[cur].append(cells)
    return out


def find(secs, prefix):
    for title, rows in secs.items():
        if title.startswith(prefix):
            return rows
    return None


def val(rows, name, col):
    """The number in column @col of the first row whose name starts with @name."""
    if not rows:
        return None
    for r in rows:
        if r[0].startswith(name) and col < len(r):
            m = NUM.search(r[col])
            return float(m.group()) if m else None
    return None


def ratio(a, b):
    return a / b if a is not None and b else None


def nth(rows, name, col, i):
    """The i-th number in column @col of the row named @name (user cells:
    "median (min..max)")."""
    if not rows:
        return None
    for r in rows:
        if r[0].startswith(name) and col < len(r):
            m = NUM.findall(r[col])
            return float(m[i]) if len(m) > i else None
    return None


def median(xs):
    """The median of the numbers in @xs (None ignored), or None."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def targets(k, u):
    """(what, ratio of medians, ratio of minimums, limit) per target."""
    t = []

    def kr(rows, a, b, col=2, mcol=1):
        return (ratio(val(rows, a, col), val(rows, b, col)),
                ratio(val(rows, a, mcol), val(rows, b, mcol)) if mcol else None)

    if k:
        s1, s2 = find(k, "1."), find(k, "2.")
        s4b, s5 = find(k, "4b."), find(k, "5.")
        for what, rows, a, b, lim, mcol in [
            ("kernel: empty wake vs smp_mb()+load", s1, "atomic_waker_wake()", "smp_mb()", 1.1, 1),
            ("kernel: empty wake vs rcuwait_wake_up()", s1, "atomic_waker_wake()", "rcuwait_wake_up()", 0.5, 1),
            ("kernel: empty wake vs wake_up()", s1, "atomic_waker_wake()", "wake_up()", 0.25, 1),
            ("kernel: empty wake vs complete()", s1, "atomic_waker_wake()", "complete()", 0.25, 1),
            ("kernel: is_registered() + wake() (caller's barrier) vs smp_mb()+load", s1,
             "is_registered() + wake()", "smp_mb()", 0.2, 1),
            ("kernel: register+wake vs wait queue add_wait_queue+wake_up()", s2,
             "atomic_waker: callback", "wait queue: add_wait_queue", 0.5, 1),
            ("kernel: ping-pong across CPUs vs completion", s4b, "atomic_waker", "completion", 1.0, 1),
        ]:
            t.append((what, *kr(rows, a, b, 2, mcol), lim))
        t.append(("kernel: hard-IRQ wakeup p50 vs completion",
                  ratio(val(s5, "atomic_waker", 1), val(s5, "completion", 1)), None, 1.0))
        s6 = find(k, "6.")
        if s6:
            lost = sum(val([r], r[0], 5) or 0 for r in s6)
            t.append(("kernel: lost wakeups under contention (count, all rows)", lost, None, 0))
    if u:
        us = u.get("user")
        for name, what, lim in [
            ("wake, nothing registered, 1 thread", "user: empty wake vs futures-core", 0.2),
            ("register + wake", "user: register+wake vs futures-core", 0.6),
            ("wake, nothing registered, 2 threads", "user: empty wake, 2 threads, vs futures-core", 0.1),
        ]:
            t.append((what, ratio(nth(us, name, 1, 0), nth(us, name, 2, 0)),
                      ratio(nth(us, name, 1, 1), nth(us, name, 2, 1)), lim))
        loop = "C loop, inlined, 8 per pass: "
        lim_row = loop + "smp_mb()"
        for row, what, lim in [
            ("atomic_waker_wake()", "user (native): empty wake vs smp_mb()+load", 1.1),
            ("is_registered() + wake()", "user (native): is_registered() + wake() vs smp_mb()+load", 0.2),
        ]:
            t.append((what, ratio(nth(us, loop + row, 1, 0), nth(us, lim_row, 1, 0)),
                      ratio(nth(us, loop + row, 1, 1), nth(us, lim_row, 1, 1)), lim))
    return t


# ---- SVG -------------------------------------------------------------------

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def fmt_ns(v):
    if v >= 1e6:
        return f"{v / 1e6:.2f} ms"
    if v >= 1e4:
        return f"{v / 1e3:.1f} us"
    return f"{v:.2f} ns"


def panel(y, title, groups, series, unit, width=900):
    """Horizontal grouped bars. groups: [(label, [value or None per series])]."""
    left, bar, gap = 330, 13, 8
    vmax = max((v for _, vs in groups for v in vs if v), default=1)
    scale = (width - left - 90) / vmax
    parts = [f'<text x="10" y="{y + 18}" font-size="15" font-weight="bold">'
             f'{html.escape(title)}</text>']
    y += 30
    if len(series) > 1:
        x = left
        for i, s in enumerate(series):
            parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{COLORS[i]}"/>'
                         f'<text x="{x + 16}" y="{y + 11}" font-size="12">{html.escape(s)}</text>')
            x += 30 + 7 * len(s)
        y += 20
    for label, vs in groups:
        h = bar * len(vs)
        parts.append(f'<text x="{left - 6}" y="{y + h / 2 + 4}" font-size="12" '
                     f'text-anchor="end">{html.escape(label)}</text>')
        for i, v in enumerate(vs):
            if v is None:
                continue
            w = max(v * scale, 1)
            c = COLORS[i] if len(vs) > 1 else COLORS[0]
            parts.append(f'<rect x="{left}" y="{y + i * bar}" width="{w:.1f}" height="{bar - 2}" fill="{c}"/>'
                         f'<text x="{left + w + 4:.1f}" y="{y + i * bar + bar - 4}" font-size="10">'
                         f'{fmt_ns(v)}</text>')
        y += h + gap
    return parts, y + 10


def svg(k, u, machine):
    parts, y = [], 0
    if k:
        for prefix, col, title in [
            ("1.", 2, "kernel (QEMU TCG): wake with nothing registered, ns/op median"),
            ("2.", 2, "kernel (QEMU TCG): register + wake, non-sleeping waker, ns/op median"),
            ("4b.", 2, "kernel (QEMU TCG): ping-pong round trip across CPUs, ns median"),
            ("5.", 1, "kernel (QEMU TCG): hard IRQ -> kthread wakeup latency p50, ns"),
        ]:
            rows = find(k, prefix)
            if not rows:
                continue
            groups = [(r[0], [val(rows, r[0], col)]) for r in rows]
            p, y = panel(y, title, groups, [""], "ns")
            parts += p
    if u and u.get("user"):
        rows = u["user"]
        groups = [(r[0].strip(), [val([r], r[0], c) for c in (1, 2, 3)]) for r in rows]
        p, y = panel(y, "user space (this machine): ns/op median", groups,
                     ["atomic_waker.c", "futures-core 0.3", "atomic-waker 1.x"], "ns")
        parts += p
    foot = "Ratios within one run are what count; QEMU TCG inflates absolute kernel numbers."
    parts.append(f'<text x="10" y="{y + 14}" font-size="11" fill="#555">{html.escape(foot)}</text>')
    y += 24
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="900" height="{y}" '
            f'viewBox="0 0 900 {y}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="white"/>')
    return head + "".join(parts) + "</svg>\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--machine", required=True)
    ap.add_argument("--user")
    ap.add_argument("--kernel", action="append", default=[],
                    help="one per boot; the first one's tables are printed")
    ap.add_argument("--md", required=True)
    ap.add_argument("--svg", required=True)
    a = ap.parse_args()
    machine = open(a.machine).read()
    utext = open(a.user).read() if a.user else ""
    ktexts = [open(f).read() for f in a.kernel]
    ktext = ktexts[0] if ktexts else ""
    u = sections(utext) if utext else None
    k = sections(ktext) if ktext else None
    boots = [targets(sections(t), None) for t in ktexts]

    lines = ["# atomic_waker benchmarks", "",
             "Written by `bench/run.sh` (see bench/README.md). "
             "QEMU here is TCG only (no KVM): absolute kernel numbers are inflated and atomics "
             "cost differently than on hardware; compare ratios within one run. "
             "The user-space numbers are native on the machine below, which is shared: "
             "medians of interleaved runs.", "", machine.strip(), "",
             "## Targets (ratios within one run)", "",
             "Met = the ratio of the medians is within the goal; the ratio of the minimums "
             "is the steadier figure on a shared host.  Kernel rows: under TCG the same "
             f"binary's costs move from boot to boot, so the kernel benchmark ran on {len(ktexts)} "
             "boot(s); the ratios are the median over the boots, each boot's ratio in the "
             "last column (the tables below are the first boot's).", "",
             "| target | ratio of medians | ratio of minimums | goal | met | per boot |",
             "|---|---:|---:|---:|:---:|---|"]
    rows = targets(None, u)
    if boots:
        rows = [(what, *(median([b[i][j] for b in boots]) for j in (1, 2)), lim,
                 [b[i][1] for b in boots]) for i, (what, _, _, lim) in enumerate(boots[0])] + rows
    for what, r, rmin, lim, *per in rows:
        count = "count" in what
        unit = "" if count else "x"
        f = (lambda x: "-" if x is None else (f"{x:.0f}" if count else f"{x:.2f}x"))
        met = "?" if r is None else ("yes" if r <= lim else "no")
        each = " ".join(f(x) for x in per[0]) if per and len(per[0]) > 1 else ""
        lines.append(f"| {what} | {f(r)} | {f(rmin)} | <= {lim:g}{unit} | {met} | {each} |")
    lines += ["", f"![chart]({os.path.basename(a.svg)})", ""]
    if utext:
        lines += ["## User space", "", utext.replace("## atomic_waker user-space benchmark", "").strip(), ""]
    if ktext:
        lines += ["## In kernel (QEMU)", "", ktext.replace("## atomic_waker in-kernel benchmark", "").strip(), ""]
    with open(a.md, "w") as f:
        f.write("\n".join(lines))
    with open(a.svg, "w") as f:
        f.write(svg(k, u, machine))


if __name__ == "__main__":
    main()
