"""Scenario 5: the overlay page renders race results over a transparent
background (checked in the page's styles and in the pixels of a screenshot
taken with no backdrop); writes that screenshot when asked."""
import argparse

from browser import *

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--screenshot")
args = parser.parse_args()
base = args.url

rows = [
    ("201", "NEUMÜLLER Hansgünther", "LG Nord", "M50", "4:28:07.1", "0:00:00.0"),
    ("200", "VIETEN Kreszenz", "TSV Süd", "W45", "4:28:10.0", "0:00:02.9"),
    ("202", "FROBSE Lars", "LG Nord", "M40", "4:30:55.3", "0:02:48.2"),
    ("203", "LOHMEIER Heinzjürgen", "SC Ost", "M55", "4:31:05.0", "0:02:57.9"),
    ("204", "ZINN Emmi", "TSV Süd", "W50", "4:46:39.1", "0:18:32.0"),
    ("205", "KLÖTZER Arnbert", "LG Nord", "M60", "5:02:49.8", "0:34:42.7"),
]
standings = {"rows": [
    {"rank": i + 1, "bib": bib, "name": name, "club": club, "class": cls, "time": time, "gap": gap}
    for i, (bib, name, club, cls, time, gap) in enumerate(rows)
]}
publish(base, "race/results", standings)

driver = start_browser(1280, 720)
try:
    driver.get(f"{base}/overlay/race/results?top=5&title=Marathon%20%E2%80%94%20standings&headers=1")
    wait_until(lambda: driver.execute_script("return document.body.dataset.mode") == "leaderboard", what="the leaderboard")
    names = lambda: [e.text for e in driver.find_elements("css selector", "#board li:not(.header) .cell-name")]
    wait_until(lambda: len(names()) == 5, what="the top five rows")
    backgrounds = driver.execute_script(
        "return [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]"
    )
    # Let the entry fade finish before the picture.
    wait_until(lambda: driver.execute_script("return document.querySelectorAll('#board li.entering').length === 0 && document.getAnimations().length === 0"), what="animations to settle")
    png = transparent_screenshot(driver, args.screenshot)
    width, height, channels, pixels = read_png(png)
    alpha = lambda x, y: pixels[y][x * channels + 3] if channels == 4 else 255
    row = driver.find_element("css selector", "#board li:not(.header)").rect
    inside = alpha(int(row["x"] + row["width"] / 2), int(row["y"] + row["height"] / 2))
    corner = alpha(width - 5, height - 5)
    # The new standings: 4th moves up to 2nd.
    standings["rows"][1]["rank"], standings["rows"][2]["rank"], standings["rows"][3]["rank"] = 3, 4, 2
    publish(base, "race/results", standings)
    wait_until(lambda: names()[1] == "LOHMEIER Heinzjürgen", what="the re-ordered standings")
    result(backgrounds=backgrounds, channels=channels, corner_alpha=corner, row_alpha=inside, names=names(), errors=page_errors(driver))
finally:
    driver.quit()
