"""What the browser scenarios share: a headless Chromium under Selenium,
bounded waits, the step handshake with the Swift test that owns the hub, and
a small PNG reader (no Pillow needed) for checking pixels of screenshots.

A scenario prints `STEP <name>` and waits for `DONE <name>` on stdin when the
Swift side must act (restart the hub, run the CLI); it ends with
`RESULT <json>` and exit status 0, or `FAIL <reason>` and status 1.
"""
import json
import os
import shutil
import struct
import sys
import time
import zlib


def fail(reason):
    print("FAIL " + reason, flush=True)
    sys.exit(1)


def chromium_path():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def start_browser(width=1400, height=900):
    """A headless Chromium driven by chromedriver; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    binary = chromium_path()
    if binary:
        options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # tests may run as root in containers
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
        "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding",
        "--disable-backgrounding-occluded-windows",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=shutil.which("chromedriver") or "chromedriver")
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    return driver


def wait_until(check, timeout=20.0, what="condition", interval=0.1):
    """Polls `check` until it returns something truthy; fails the scenario after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as error:  # a stale element, a page still loading: try again
            last_error = error
        time.sleep(interval)
    fail(f"timed out after {timeout} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


def step(name, timeout=60.0):
    """Asks the Swift test to do `name` and waits until it says it is done."""
    print(f"STEP {name}", flush=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = sys.stdin.readline()
        if not line:
            fail(f"stdin closed while waiting for DONE {name}")
        if line.strip() == f"DONE {name}":
            return
    fail(f"no DONE {name} within {timeout} s")


def result(**values):
    print("RESULT " + json.dumps(values), flush=True)


def page_errors(driver):
    """Severe console messages (uncaught errors, failed module loads)."""
    try:
        return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    except Exception:
        return []


def open_dashboard(driver, url):
    driver.get(url)
    wait_until(lambda: driver.execute_script("return !!document.getElementById('ready')"), what="the dashboard's scripts")
    wait_until(
        lambda: driver.find_element("id", "connection").get_attribute("data-state") == "open",
        what="the dashboard's connection to the hub",
    )


def transparent_screenshot(driver, path=None):
    """A PNG of the page with Chromium's default white backdrop made transparent."""
    driver.execute_cdp_cmd("Emulation.setDefaultBackgroundColorOverride", {"color": {"r": 0, "g": 0, "b": 0, "a": 0}})
    png = driver.get_screenshot_as_png()
    if path:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as file:
            file.write(png)
    return png


def read_png(data):
    """Decodes an 8-bit RGB or RGBA PNG (what Chromium writes) into (width, height, channels, rows)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position = 8
    idat = b""
    width = height = channels = None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position : position + 8])
        body = data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}")
            channels = 4 if colour == 6 else 3
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows = []
    previous = bytearray(stride)
    offset = 0
    for _ in range(height):
        kind = raw[offset]
        line = bytearray(raw[offset + 1 : offset + 1 + stride])
        offset += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + ((left + up) >> 1)) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                predictor = left if pa <= pb and pa <= pc else (up if pb <= pc else corner)
                line[i] = (line[i] + predictor) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


def http(method, url, body=None, content_type="application/json"):
    """A request to the hub; returns the decoded JSON answer."""
    import urllib.request

    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=10) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def publish(base, topic, data):
    return http("POST", f"{base}/api/v1/publish/{topic}", data)


def publish_many(base, topic, items):
    body = "".join(json.dumps(item) + "\n" for item in items)
    return http("POST", f"{base}/api/v1/publish/{topic}", body, "application/x-ndjson")


def layout_url(base, panels):
    """The dashboard opened on these panels, as a shared layout link does."""
    import base64

    encoded = base64.urlsafe_b64encode(json.dumps({"v": 1, "panels": panels}).encode()).decode().rstrip("=")
    return f"{base}/#layout={encoded}"


def panel(driver, source, kind=None):
    """The first panel element showing `source` (of `kind`, when given)."""
    for element in driver.find_elements("css selector", "article.panel"):
        if element.get_attribute("data-source") == source and (kind is None or element.get_attribute("data-kind") == kind):
            return element
    return None


def hex_colour(text):
    text = text.strip().lstrip("#")
    return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))
