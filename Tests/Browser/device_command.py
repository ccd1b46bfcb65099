"""Scenario 3: a command sent from the devices panel reaches a Python device
(examples/device_ws.py, started by the Swift side) and its result appears."""
import argparse
import json

from browser import *

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--device", required=True)
args = parser.parse_args()

driver = start_browser()
try:
    open_dashboard(driver, args.url + "/")
    driver.find_element("id", "tab-devices-button").click()
    card_selector = f"#tab-devices article.device[data-device='{args.device}']"
    card = wait_until(
        lambda: next((c for c in driver.find_elements("css selector", card_selector) if c.get_attribute("data-online") == "true"), None),
        what="the device online in the panel",
    )
    declared = [b.get_attribute("data-command") for b in card.find_elements("css selector", ".command-buttons button")]

    def finished(name):
        for item in card.find_elements("css selector", ".command-log li"):
            if item.find_element("css selector", ".command-name").text == name and item.get_attribute("data-state") not in ("queued", "sent"):
                return item
        return None

    # The button the device declared in its hello…
    card.find_element("css selector", ".command-buttons button[data-command='toggle_relay']").click()
    toggled = wait_until(lambda: finished("toggle_relay"), what="toggle_relay's result")
    toggle = {"state": toggled.get_attribute("data-state"), "result": toggled.find_element("css selector", ".command-result").text}
    # …and the form, with JSON params and a timeout.
    form = card.find_element("css selector", "form.command-form")
    form.find_element("name", "name").send_keys("set_interval")
    form.find_element("name", "params").send_keys(json.dumps({"seconds": 0.5}))
    form.find_element("name", "timeout_ms").send_keys("5000")
    form.find_element("css selector", "button[type=submit]").click()
    interval = wait_until(lambda: finished("set_interval"), what="set_interval's result")
    result(
        declared=declared,
        toggle=toggle,
        interval={"state": interval.get_attribute("data-state"), "result": interval.find_element("css selector", ".command-result").text},
        errors=page_errors(driver),
    )
finally:
    driver.quit()
