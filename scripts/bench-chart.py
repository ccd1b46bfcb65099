#!/usr/bin/env python3
"""Latency vs delivered rate, from the JSON that scripts/bench-fanout.sh keeps.

Every step of every rate search is a point: x = delivered msgs/s, y = p99 latency
(ms), one colour per server, one panel per subscriber count; failed steps (loss,
or p99 over the limit) are drawn hollow. Needs matplotlib (`pip install matplotlib`).

    scripts/bench-chart.py .build-bench/results/<run> [more dirs…] -o docs/fanout-latency.png
"""
import argparse
import glob
import json
import os
import re
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

NAMES = {"switchboard": "Switchboard", "seed-relay": "seed_relay.py", "seed-relay-fast": "seed_relay_fast.py",
         "mosquitto": "Mosquitto (MQTT)"}
COLOURS = {"switchboard": "#d62728", "seed-relay": "#7f7f7f", "seed-relay-fast": "#1f77b4", "mosquitto": "#2ca02c"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dirs", nargs="+")
    parser.add_argument("-o", "--output", default="docs/fanout-latency.png")
    args = parser.parse_args()

    points = defaultdict(list)  # (target, subscribers) -> [(delivered, p99, passed)]
    for directory in args.dirs:
        for path in glob.glob(os.path.join(directory, "*.json")):
            match = re.match(r"(.+)-(\d+)-\d+\.json$", os.path.basename(path))
            if not match:
                continue
            target, subscribers = match.group(1), int(match.group(2))
            try:
                report = json.load(open(path))
            except (OSError, ValueError):
                continue
            for step in report.get("steps", []) + [report.get("half")]:
                if step and step.get("deliveredPerSecond") and step.get("p99Ms") is not None:
                    points[(target, subscribers)].append(
                        (step["deliveredPerSecond"], max(step["p99Ms"], 0.01), bool(step.get("passed"))))

    counts = sorted({subscribers for _, subscribers in points})
    if not counts:
        raise SystemExit("no fan-out results found in " + " ".join(args.dirs))
    figure, axes = plt.subplots(1, len(counts), figsize=(6.5 * len(counts), 4.8), squeeze=False)
    for axis, subscribers in zip(axes[0], counts):
        for target in [t for t in NAMES if (t, subscribers) in points]:
            series = sorted(points[(target, subscribers)])
            colour = COLOURS[target]
            axis.scatter([x for x, _, ok in series if ok], [y for _, y, ok in series if ok], color=colour, s=22,
                         label=NAMES[target])
            axis.scatter([x for x, _, ok in series if not ok], [y for _, y, ok in series if not ok], s=22,
                         facecolors="none", edgecolors=colour)
        axis.axhline(100, color="black", linewidth=0.8, linestyle="--")
        axis.text(0.99, 110, "p99 limit 100 ms", fontsize=8, ha="right", transform=axis.get_yaxis_transform())
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("delivered msgs/s (log)")
        axis.set_ylabel("p99 latency, ms (log)")
        axis.set_title(f"1 publisher → {subscribers} subscribers, 200 B")
        axis.grid(True, which="both", linewidth=0.3)
        axis.legend(loc="upper left", fontsize=8)
    figure.text(0.5, 0.005, "every run of every rate search; hollow: the run lost messages or exceeded the p99 limit",
                ha="center", fontsize=8)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(args.output, dpi=110)
    print(args.output)


if __name__ == "__main__":
    main()
