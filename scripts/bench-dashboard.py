#!/usr/bin/env python3
"""The dashboard measured in headless Chromium (see docs/BENCHMARKS.md):

1. Time to first paint of a line panel whose window is 100,000 points of
   stored history (the page asks the hub for them decimated with `points`),
   and, for comparison, of 10,000 points read whole. From the page's
   navigation start and from the panel's creation; median of RUNS page loads.
2. Frames per second of one chart with 10 series (10,000 points each in its
   window) while its topic gets 50 messages/s, each carrying all 10 series:
   requestAnimationFrame callbacks per second and draw time per frame over
   SECONDS, in the page.

Usage: scripts/bench-dashboard.py [--bin .build/release/switchboard] [--runs 5] [--seconds 10]
Needs chromium, chromedriver and selenium (scripts/test installs them).
"""
import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Browser"))
from browser import http, layout_url, panel, publish_many, start_browser, wait_until  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--bin", default=os.environ.get("SWITCHBOARD_BIN", ".build/release/switchboard"))
parser.add_argument("--runs", type=int, default=5)
parser.add_argument("--seconds", type=float, default=10)
args = parser.parse_args()


def start_hub(data):
    hub = subprocess.Popen(
        [args.bin, "serve", "--http", "127.0.0.1:0", "--tcp", "off", "--data", data], stderr=subprocess.PIPE, text=True
    )
    for line in hub.stderr:
        if "HTTP/WebSocket listener bound" in line:
            port = line.split("address=127.0.0.1:")[1].split()[0]
            threading.Thread(target=lambda: [None for _ in hub.stderr], daemon=True).start()
            return hub, f"http://127.0.0.1:{port}"
    raise SystemExit("the hub did not start")


def fill(base, topic, count, make):
    # Batches of 100: a batch shares one hub ts, and `points` decimates by time, so history needs its ts spread.
    for start in range(0, count, 100):
        publish_many(base, topic, [make(i) for i in range(start, min(count, start + 100))])


def first_paint(driver, base, topic, window):
    since_load, since_panel, hub_ms, page_after = [], [], [], []
    for _ in range(args.runs):
        driver.get("about:blank")
        driver.get(layout_url(base, [{"source": topic, "kind": "line", "w": 12, "h": 5, "window": window}]))
        element = wait_until(lambda: panel(driver, topic, "line"), what="the panel", timeout=60)
        wait_until(lambda: element.get_attribute("data-first-paint-ms"), what="the first paint", timeout=60)
        since_load.append(int(element.get_attribute("data-first-paint-since-load-ms")))
        since_panel.append(int(element.get_attribute("data-first-paint-ms")))
        # The hub's share: the history requests, from the page's resource timing.
        history = driver.execute_script(
            "const r = performance.getEntriesByType('resource').filter(e => e.name.includes('/messages?'));"
            "return r.length ? [Math.min(...r.map(e => e.startTime)), Math.max(...r.map(e => e.responseEnd))] : null"
        )
        hub_ms.append(history[1] - history[0])
        page_after.append(since_load[-1] - history[1])
        points = driver.execute_script("return [...window.switchboard.panels.values()][0].view.data.length")
    return {"window": window, "points_drawn": points, "ms_since_navigation": statistics.median(since_load),
            "ms_since_panel": statistics.median(since_panel), "history_requests_ms": round(statistics.median(hub_ms)),
            "ms_after_history_arrived": round(statistics.median(page_after)), "runs": since_load}


def fps(driver, base, topic):
    driver.get("about:blank")
    driver.get(layout_url(base, [{"source": topic, "kind": "line", "w": 12, "h": 5, "window": "p10000"}]))
    element = wait_until(lambda: panel(driver, topic, "line"), what="the panel", timeout=60)
    wait_until(lambda: element.get_attribute("data-first-paint-ms"), what="the first paint", timeout=60)
    stop = threading.Event()
    sent = [0]

    def publisher():
        # 50 messages/s, on a fixed schedule, each with all 10 series.
        start = time.monotonic()
        while not stop.is_set():
            i = sent[0]
            http("POST", f"{base}/api/v1/publish/{topic}", {f"s{k}": math.sin((10000 + i) / 40 + k) + k for k in range(10)})
            sent[0] += 1
            delay = start + sent[0] / 50 - time.monotonic()
            if delay > 0:
                time.sleep(delay)

    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    time.sleep(2)  # steady state first
    measured = driver.execute_async_script(
        """
        const [seconds, done] = arguments;
        const stats = window.switchboard.frameStats;
        const draws0 = stats.frames, drawMs0 = stats.drawMs.length;
        const panel = [...window.switchboard.panels.values()][0];
        const received0 = panel.received;
        let callbacks = 0;
        const start = performance.now();
        const tick = () => {
            callbacks++;
            if (performance.now() - start < seconds * 1000) requestAnimationFrame(tick);
            else {
                const elapsed = (performance.now() - start) / 1000;
                const ms = stats.drawMs.slice(drawMs0).sort((a, b) => a - b);
                done({ raf_per_s: callbacks / elapsed, draws_per_s: (stats.frames - draws0) / elapsed,
                       messages_per_s: (panel.received - received0) / elapsed,
                       draw_ms_median: ms[Math.floor(ms.length / 2)], draw_ms_p95: ms[Math.floor(ms.length * 0.95)],
                       points_in_window: panel.view.data.length, series: panel.view.data.columns.size });
            }
        };
        requestAnimationFrame(tick);
        """,
        args.seconds,
    )
    stop.set()
    thread.join()
    return measured


data = tempfile.mkdtemp(prefix="bench-dashboard-")
hub, base = start_hub(data)
driver = None
try:
    fill(base, "bench/history", 100000, lambda i: {"v": math.sin(i / 500) * 10 + math.sin(i / 7)})
    fill(base, "bench/series", 10000, lambda i: {f"s{k}": math.sin(i / 40 + k) + k for k in range(10)})
    driver = start_browser(1440, 900)
    driver.set_script_timeout(args.seconds + 60)
    report = {
        "first_paint_100k_decimated": first_paint(driver, base, "bench/history", "p100000"),
        "first_paint_10k_whole": first_paint(driver, base, "bench/history", "p10000"),
        "ten_series_at_50_hz": fps(driver, base, "bench/series"),
        "chromium": driver.capabilities.get("browserVersion"),
    }
    print(json.dumps(report, indent=2))
finally:
    if driver:
        driver.quit()
    hub.terminate()
    hub.wait()
