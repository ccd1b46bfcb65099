"""Scenario 6: pictures for the README — the dashboard on a `--demo` hub (light
and dark), written to the paths given. Also checks the panels all came up."""
import argparse
import math

from browser import *

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--light", required=True)
parser.add_argument("--dark", required=True)
args = parser.parse_args()
base = args.url

publish(base, "race/results", {"rows": [
    {"rank": 1, "bib": "201", "name": "NEUMÜLLER Hansgünther", "club": "LG Nord", "time": "4:28:07.1", "gap": "0:00:00.0"},
    {"rank": 2, "bib": "200", "name": "VIETEN Kreszenz", "club": "TSV Süd", "time": "4:28:10.0", "gap": "0:00:02.9"},
    {"rank": 3, "bib": "202", "name": "FROBSE Lars", "club": "LG Nord", "time": "4:30:55.3", "gap": "0:02:48.2"},
    {"rank": 4, "bib": "203", "name": "LOHMEIER Heinzjürgen", "club": "SC Ost", "time": "4:31:05.0", "gap": "0:02:57.9"},
]})
publish(base, "lab/thermal", [[round(20 + 8 * math.exp(-((x - 9) ** 2 + (y - 6) ** 2) / 18) + math.sin(x / 3), 2) for x in range(24)] for y in range(12)])

panels = [
    {"source": "demo/temperature", "w": 5, "h": 4},
    {"source": "demo/wave", "w": 7, "h": 4},
    {"source": "demo/accel", "w": 7, "h": 4},
    {"source": "demo/temperature", "kind": "gauge", "w": 5, "h": 4},
    {"source": "race/results", "w": 6, "h": 4},
    {"source": "lab/thermal", "w": 3, "h": 4},
    {"source": "demo/clock", "w": 3, "h": 4},
]
driver = start_browser(1440, 1250)
try:
    open_dashboard(driver, layout_url(base, panels))
    charts = ["demo/temperature", "demo/wave", "demo/accel"]
    for source in charts:
        element = wait_until(lambda: panel(driver, source, "line"), what=f"the {source} chart")
        wait_until(lambda: int(element.get_attribute("data-received") or 0) >= 8, timeout=30, what=f"live data in {source}")
    kinds = wait_until(
        lambda: (lambda k: k if len([x for x in k if x]) == len(panels) else None)(
            [e.get_attribute("data-kind") for e in driver.find_elements("css selector", "article.panel")]
        ),
        what="every panel built",
    )
    wait_until(lambda: "connections" in driver.find_element("id", "stats").text, what="hub stats")
    driver.execute_script("document.activeElement.blur()")
    scheme = lambda: driver.execute_script("return getComputedStyle(document.documentElement).colorScheme")
    for wanted, path in (("light", args.light), ("dark", args.dark)):
        if scheme() != wanted:
            driver.find_element("id", "theme").click()
        wait_until(lambda: scheme() == wanted, what=f"the {wanted} theme")
        driver.execute_script("document.activeElement.blur()")
        # Two animation frames: the charts have been redrawn in the new colours.
        driver.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done))")
        driver.save_screenshot(path)
    result(kinds=kinds, errors=page_errors(driver))
finally:
    driver.quit()
