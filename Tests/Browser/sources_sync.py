"""Scenario 2: a source created and started in one tab shows as running in a
second tab; stopping it from the CLI (the Swift side, at STEP stop-cli) shows
in both."""
import argparse

from browser import *

parser = argparse.ArgumentParser()
parser.add_argument("--url", required=True)
parser.add_argument("--name", default="wave-1")
args = parser.parse_args()
name = args.name

driver = start_browser()
try:
    open_dashboard(driver, args.url + "/")
    first = driver.current_window_handle
    driver.switch_to.new_window("tab")
    open_dashboard(driver, args.url + "/")
    second = driver.current_window_handle

    def show_sources():
        driver.find_element("id", "tab-sources-button").click()

    def state_in(handle):
        driver.switch_to.window(handle)
        rows = driver.find_elements("css selector", f"#tab-sources tr[data-source='{name}']")
        return rows[0].get_attribute("data-state") if rows else None

    show_sources()
    driver.switch_to.window(first)
    show_sources()
    # Tab 1: create it stopped through the form, then press Start.
    form = driver.find_element("css selector", "form.create-source")
    form.find_element("name", "name").send_keys(name)
    form.find_element("css selector", "select[name=kind] option[value=sine]").click()
    form.find_element("name", "params").send_keys('{"rate_hz": 5}')
    form.find_element("name", "running").click()
    form.find_element("css selector", "button[type=submit]").click()
    wait_until(lambda: state_in(first) == "stopped", what="the new source, stopped, in tab 1")
    seen_stopped_in_second = wait_until(lambda: state_in(second) == "stopped", what="the new source in tab 2")
    driver.switch_to.window(first)
    driver.find_element("css selector", f"#tab-sources tr[data-source='{name}'] .actions button").click()  # Start
    wait_until(lambda: state_in(second) == "running", what="running in tab 2")
    running_first = state_in(first)

    step("stop-cli")
    wait_until(lambda: state_in(first) == "stopped", what="stopped (by the CLI) in tab 1")
    wait_until(lambda: state_in(second) == "stopped", what="stopped (by the CLI) in tab 2")
    result(running_in_first=running_first, stopped_in_first=state_in(first), stopped_in_second=state_in(second), errors=page_errors(driver))
finally:
    driver.quit()
