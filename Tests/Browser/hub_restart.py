"""Scenario 4: the hub restarts while the page is open. Messages published
while the page was away (the Swift side publishes them through a hub on
another port, at STEP restart) are recovered: the chart's seqs run 1…60
without a hole, and the page said it was disconnected."""
import argparse

from browser import *

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--topic", default="lab/restart")
args = parser.parse_args()
base = args.url

publish_many(base, args.topic, [{"v": i} for i in range(1, 21)])
driver = start_browser()
try:
    open_dashboard(driver, layout_url(base, [{"source": args.topic, "kind": "line", "w": 12, "h": 4, "window": "p1000"}]))
    element = wait_until(lambda: panel(driver, args.topic, "line"), what="the line panel")
    wait_until(lambda: element.get_attribute("data-last-seq") == "20", what="seq 20 in the panel")

    step("restart")  # the hub is killed; 30 messages are stored meanwhile; the hub is back on the same port
    notices = lambda: driver.find_element("id", "notices").text
    wait_until(lambda: "Disconnected" in notices(), what="the page saying it was disconnected")
    wait_until(lambda: "Reconnected" in notices(), what="the page saying it reconnected")
    wait_until(lambda: driver.find_element("id", "connection").get_attribute("data-state") == "open", what="the connection back")
    wait_until(lambda: element.get_attribute("data-last-seq") == "50", what="the missed messages (seq 50)")
    publish_many(base, args.topic, [{"v": i} for i in range(51, 61)])
    wait_until(lambda: element.get_attribute("data-last-seq") == "60", what="live messages after the restart (seq 60)")
    seqs = driver.execute_script(
        "const p = [...window.switchboard.panels.values()].find(p => p.config.source === arguments[0]);"
        "return Array.from(p.view.data.seq.subarray(0, p.view.data.length));",
        args.topic,
    )
    result(
        seqs=seqs,
        holes=int(element.get_attribute("data-holes")),
        gaps=int(element.get_attribute("data-gaps")),
        notices=notices(),
        # While the hub is down, Chromium logs each refused reconnection attempt itself: expected here.
        errors=[e for e in page_errors(driver) if "ERR_CONNECTION_REFUSED" not in e],
    )
finally:
    driver.quit()
