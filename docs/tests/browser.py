"""Headless Chromium (Debian's chromium and chromium-driver, never a downloaded
browser) driven by selenium, and a local web server for the built site."""
import contextlib
import functools
import http.server
import os
import socket
import tempfile
import threading
from pathlib import Path

from PIL import Image
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# As root on a closed network: no sandbox, no GPU, and none of Chromium's own
# connections (updates, sync, field trials), which the network refuses.
FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-quic", "--no-first-run", "--disable-default-apps", "--window-size=1280,1000"]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("CIRCUITGRAD_SCREENSHOTS", ROOT / "docs" / "_build" / "screenshots"))


@contextlib.contextmanager
def chromium():
    """A selenium driver of headless Chromium with a fresh profile; its console is logged."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not Path(path).exists():
            raise RuntimeError(f"{path} is missing: apt-get install chromium chromium-driver")
    with tempfile.TemporaryDirectory(prefix="circuitgrad-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS + [f"--user-data-dir={profile}"]:
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            driver.set_page_load_timeout(120)
            driver.set_script_timeout(60)
            yield driver
        finally:
            driver.quit()


def console_errors(driver):
    """The errors on the browser's console since the last call (JavaScript errors,
    resources that failed to load)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(directory):
    """The directory over HTTP on 127.0.0.1 (a thread, stopped on exit); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def circuits(driver):
    """The circuit drawings on the page (autograd.draw's display: an SVG fitted to the width)."""
    return driver.find_elements(By.CSS_SELECTOR, ".circuitgrad-circuit svg")


def fits(driver, svg):
    """A drawing's width on screen, and the width of the column it sits in."""
    return driver.execute_script(
        "const box = arguments[0].closest('.circuitgrad-circuit');"
        "return [arguments[0].getBoundingClientRect().width, box.clientWidth];", svg)


def widest(drawings):
    """The drawing that is widest at full size, and that width in CSS pixels."""
    natural = [float(svg.get_attribute("width").removesuffix("pt")) * 4 / 3 for svg in drawings]
    i = max(range(len(drawings)), key=natural.__getitem__)
    return drawings[i], natural[i]


def screenshot(driver, name, element=None):
    """Save a PNG of the window (or of one element) under SCREENSHOTS, once the page
    has painted; a picture of one flat colour (a page that shows nothing) fails."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    driver.execute_async_script("const done = arguments[0];"
                                "document.fonts.ready.then(() => requestAnimationFrame(() => "
                                "requestAnimationFrame(done)))")
    if element is None:
        driver.save_screenshot(str(path))
    else:
        element.screenshot(str(path))
    with Image.open(path) as picture:
        shades = picture.convert("L").getextrema()
    assert shades[1] - shades[0] > 64, f"{path} shows nothing (one flat colour)"
    return path
