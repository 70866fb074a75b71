"""The lessons run live (`make lessons`: Voila): the sliders of lesson 01 move and
the circuit is redrawn, in a real browser (headless Chromium)."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from browser import ROOT, chromium, circuits, console_errors, fits, free_port, screenshot, widest

# The page template of Voila links an icon font from a CDN: offline, only that fails.
OFFLINE = "fontawesome-free"
VOILA_OPTIONS = ["--no-browser", "--Voila.ip=127.0.0.1",
                 # the Notebook app's own extension does not load inside Voila (a console error)
                 "--VoilaConfiguration.extension_denylist=@jupyter-notebook/lab-extension"]


@pytest.fixture(scope="module")
def voila_lesson():
    port = free_port()
    command = [str(Path(sys.executable).with_name("voila")), str(ROOT / "notebooks" / "01_circuits.ipynb"),
               f"--port={port}", *VOILA_OPTIONS]
    server = subprocess.Popen(command, env=dict(os.environ, CIRCUITGRAD_QUICK="1"),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 120
        while True:                # listening yet? (a page request would run the lesson once more)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"voila did not start: {' '.join(command)}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def drawn_numbers(widget):
    """The labels of the circuit the interactive cell drew (read at once: a redraw replaces them)."""
    return widget.parent.execute_script(
        "return Array.from(arguments[0].querySelectorAll('svg text'), t => t.textContent)", widget)


def wait_for(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition.__doc__ or condition}")
        time.sleep(0.25)


def test_the_sliders_of_lesson_01_redraw_the_neuron_live(voila_lesson):
    with chromium() as browser:
        browser.get(voila_lesson)
        wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, ".widget-interact .widget-slider")) == 5)
        widget = browser.find_element(By.CSS_SELECTOR, ".widget-interact")
        wait_for(lambda: "0.7311" in drawn_numbers(widget))             # σ(1) at the starting values
        browser.execute_script("arguments[0].scrollIntoView({behavior: 'instant'})", widget)
        screenshot(browser, "voila-lesson-01-sliders-start")
        w0 = widget.find_element(By.CSS_SELECTOR, ".widget-slider .noUi-handle")
        assert w0.get_attribute("aria-valuenow") == "2.0"
        w0.click()
        for _ in range(4):                                                  # 4 steps of 0.25: w0 = 3
            w0.send_keys(Keys.ARROW_RIGHT)
        # w0·x0 + w1·x1 + w2 = 3·(-1) + 6 - 3 = 0, and σ(0) = 0.5 with gradient 0.25 at the sum
        wait_for(lambda: "0.5" in drawn_numbers(widget) and "0.25" in drawn_numbers(widget))
        assert "0.7311" not in drawn_numbers(widget)
        screenshot(browser, "voila-lesson-01-sliders-moved")
        # a wide drawing fits the page and zooms on a click, live as on the site
        wide, natural = widest(circuits(browser))
        width, column = fits(browser, wide)
        assert width <= column + 1 < natural
        browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", wide)
        wide.click()
        assert fits(browser, wide)[0] > column + 1
        screenshot(browser, "voila-lesson-01-wide-circuit-zoomed")
        errors = [e for e in console_errors(browser) if OFFLINE not in e]
        assert errors == []
