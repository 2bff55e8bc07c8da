#!/usr/bin/env python3
"""ncu-kernel-table.py — GPU time per kernel from an Nsight Compute CSV (`ncu --metrics gpu__time_duration.sum --csv`).

With --fence NAME, only the kernels between the last two launches whose name contains NAME count (bench-model's
decode-trace fences one decode step with CumSum kernels). Prints a Markdown table: kernel, launches, total µs,
share, mean µs, sorted by total; and the sum, which is the step's time without launch gaps.
  usage: python3 ncu-kernel-table.py FILE.csv [--fence NAME] [--title TEXT] [--top N]
"""
import argparse
import csv
import re
from collections import OrderedDict


def launches(path):
    """(kernel name, duration in ns) per profiled launch, in launch order."""
    with open(path, newline="") as f:
        lines = [line for line in f if line.startswith('"')]  # ncu's own messages are not CSV rows
    rows = csv.DictReader(lines)
    by_id = OrderedDict()
    for row in rows:
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        unit = row.get("Metric Unit", "ns")
        scale = {"ns": 1.0, "nsecond": 1.0, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}.get(unit, 1.0)
        by_id[row["ID"]] = (row["Kernel Name"], value * scale)
    return list(by_id.values())


def short(name):
    """A kernel's name without template arguments and parameters (cuBLASLt's names are long)."""
    name = re.sub(r"\(.*$", "", name.replace("(anonymous namespace)", "anon"))
    depth, out = 0, []
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace("void ", "").split("::")[-1][:60]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("csv")
    parser.add_argument("--fence")
    parser.add_argument("--title", default="kernels")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    all_launches = launches(args.csv)
    chosen = all_launches
    if args.fence:
        fences = [i for i, (name, _) in enumerate(all_launches) if args.fence in name]
        if len(fences) < 2:
            raise SystemExit(f"{args.csv}: fewer than two '{args.fence}' fences in {len(all_launches)} launches")
        chosen = all_launches[fences[-2] + 1 : fences[-1]]
    per = {}
    for name, ns in chosen:
        key = short(name)
        calls, total = per.get(key, (0, 0.0))
        per[key] = (calls + 1, total + ns)
    total = sum(ns for _, ns in chosen)
    print(f"## {args.title}: {len(chosen)} kernels, {total / 1e3:.1f} µs of kernel time (no launch gaps)\n")
    print("| kernel | launches | total µs | share | mean µs |")
    print("| :-- | --: | --: | --: | --: |")
    ranked = sorted(per.items(), key=lambda kv: -kv[1][1])
    for key, (calls, ns) in ranked[: args.top]:
        print(f"| {key} | {calls} | {ns / 1e3:.1f} | {100 * ns / total:.1f} % | {ns / calls / 1e3:.2f} |")
    rest = ranked[args.top :]
    if rest:
        calls = sum(c for _, (c, _) in rest)
        ns = sum(t for _, (_, t) in rest)
        print(f"| {len(rest)} others | {calls} | {ns / 1e3:.1f} | {100 * ns / total:.1f} % | |")


if __name__ == "__main__":
    main()
