"""Scenario 1: publishing over HTTP makes a line panel draw (the series'
colour is on the canvas), and a table and a leaderboard show the rows."""
import argparse
import math

from browser import *

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
args = parser.parse_args()
base = args.url

# Some history before the page opens, the rest live.
publish_many(base, "lab/line", [{"v": math.sin(i / 5) * 10} for i in range(30)])
results = {"rows": [
    {"rank": 1, "bib": "201", "name": "NEUMÜLLER Hansgünther", "club": "LG Nord", "time": "4:28:07.1", "gap": "0:00:00.0"},
    {"rank": 2, "bib": "200", "name": "VIETEN Kreszenz", "club": "TSV Süd", "time": "4:28:10.0", "gap": "0:00:02.9"},
    {"rank": 3, "bib": "202", "name": "FROBSE Lars", "club": "LG Nord", "time": "4:30:55.3", "gap": "0:02:48.2"},
]}
publish(base, "race/results", results)

driver = start_browser()
try:
    open_dashboard(driver, layout_url(base, [
        {"source": "lab/line", "w": 6, "h": 4},
        {"source": "lab/table", "kind": "table", "w": 6, "h": 4},
        {"source": "race/results", "w": 12, "h": 4},
        {"source": "lab/camera", "w": 3, "h": 3},
        {"source": "lab/thermal", "w": 3, "h": 3},
    ]))
    # A 2×2 PNG as a data URL, and a 2-D array: inferred as image and heatmap.
    png = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAD0lEQVR4nGP4z8DA8B+CABb1A/0oR7OhAAAAAElFTkSuQmCC"
    publish(base, "lab/camera", {"image": png})
    publish(base, "lab/thermal", [[1, 2, 3], [4, 5, 6]])
    for i in range(30, 60):
        publish(base, "lab/line", {"v": math.sin(i / 5) * 10})
    publish(base, "lab/table", {"sensor": "s-1", "reading": 21.5})
    publish(base, "lab/table", {"sensor": "s-2", "reading": 19.25})

    line = wait_until(lambda: panel(driver, "lab/line", "line"), what="the line panel")
    wait_until(lambda: line.get_attribute("data-last-seq") == "60", what="seq 60 in the line panel")
    colour = line.find_element("css selector", ".legend .series").get_attribute("data-color")
    target = hex_colour(colour)
    count_script = """
        const [canvas, r, g, b] = arguments;
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 0; i < data.length; i += 4)
            if (Math.abs(data[i] - r) < 24 && Math.abs(data[i + 1] - g) < 24 && Math.abs(data[i + 2] - b) < 24 && data[i + 3] > 200) n++;
        return n;"""
    canvas = line.find_element("css selector", "canvas.chart")
    series_pixels = wait_until(lambda: driver.execute_script(count_script, canvas, *target), what="the series' colour on the canvas")
    points = driver.execute_script("return [...window.switchboard.panels.values()].find(p => p.config.source === 'lab/line').view.data.length")

    table = wait_until(lambda: panel(driver, "lab/table", "table"), what="the table panel")
    wait_until(lambda: len(table.find_elements("css selector", "tbody tr")) == 2, what="two table rows")
    table_text = table.find_element("css selector", "tbody").text
    headers = [th.text for th in table.find_elements("css selector", "thead th")]

    board = wait_until(lambda: panel(driver, "race/results", "leaderboard"), what="the leaderboard panel")
    names = lambda: [li.find_element("css selector", ".cell-name").text for li in board.find_elements("css selector", "li:not(.header)")]
    wait_until(lambda: len(names()) == 3, what="three leaderboard rows")
    first_order = names()
    # The second and first swap places.
    results["rows"][0]["rank"], results["rows"][1]["rank"] = 2, 1
    publish(base, "race/results", results)
    wait_until(lambda: names()[0] == "VIETEN Kreszenz", what="the leaderboard re-ordered")
    image = wait_until(lambda: panel(driver, "lab/camera", "image"), what="the image panel")
    image_width = wait_until(lambda: driver.execute_script("return arguments[0].querySelector('img').naturalWidth", image), what="the image decoded")
    heatmap = wait_until(lambda: panel(driver, "lab/thermal", "heatmap"), what="the heatmap panel")
    heatmap_colours = wait_until(lambda: driver.execute_script(
        """const c = arguments[0].querySelector('canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
           const seen = new Set(); for (let i = 0; i < d.length; i += 4) if (d[i + 3] === 255) seen.add(d[i] << 16 | d[i + 1] << 8 | d[i + 2]);
           return seen.size;""", heatmap), what="heatmap cells drawn")
    result(
        image_width=image_width,
        heatmap_colours=heatmap_colours,
        series_colour=colour,
        series_pixels=series_pixels,
        points=points,
        table_text=table_text,
        table_headers=headers,
        leaderboard_before=first_order,
        leaderboard_after=names(),
        errors=page_errors(driver),
    )
finally:
    driver.quit()
