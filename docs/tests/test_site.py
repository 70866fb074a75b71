"""The built site in a real browser (headless Chromium): the start page, a lesson,
the gate table and the API pages render, show their circuits as SVG, and log no
error on the browser's console. Screenshots go to docs/_build/screenshots/.

Run by `make docs` after the build (CIRCUITGRAD_SITE: the site's directory).
"""
import json
import os
import re
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from autograd import gates as engine_gates
from browser import ROOT, chromium, circuits, console_errors, fits, screenshot, serve, widest
from nn import gates as nn_gates

SITE = Path(os.environ.get("CIRCUITGRAD_SITE", ROOT / "docs" / "_build" / "quick" / "html"))
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def site():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no site at {SITE}: build it first with `make docs`")
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def visit(browser, url):
    """Open a page and wait for it to load; the console is read from here on."""
    console_errors(browser)                        # forget what earlier pages logged
    browser.get(url)
    browser.execute_script("return document.readyState")
    return browser


def lesson_title(path):
    first = json.loads(path.read_text())["cells"][0]
    return "".join(first["source"]).splitlines()[0].lstrip("# ").strip()


def test_the_start_page_holds_the_readme_and_every_lesson(site, browser):
    visit(browser, site + "index.html")
    text = browser.find_element(By.TAG_NAME, "body").text
    for heading in ("A tour of the API", "Drawing a circuit", "Benchmarks"):
        assert heading in text
    links = {a.get_attribute("href").rsplit("/", 1)[-1] for a in
             browser.find_elements(By.CSS_SELECTOR, ".sidebar-tree a")}
    assert {f"{p.stem}.html" for p in LESSONS} <= links             # every notebook, none listed by hand
    assert {"gates.html", "autograd.html", "nn.html", "optim.html", "cli.html"} <= links
    screenshot(browser, "start-page")
    assert console_errors(browser) == []


def test_a_lesson_shows_its_circuits_fitted_and_zooming_on_click(site, browser):
    visit(browser, site + "lessons/01_circuits.html")
    assert lesson_title(LESSONS[0]) in browser.title
    drawn = circuits(browser)
    assert len(drawn) >= 8
    for svg in drawn:
        assert svg.find_elements(By.CSS_SELECTOR, "g.node")          # a real graphviz drawing
        width, column = fits(browser, svg)
        assert 0 < width <= column + 1                                # fitted to the page width
    wide, natural = widest(drawn)
    assert natural > 2 * fits(browser, wide)[1]                       # the widest drawing: scaled down
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", wide)
    screenshot(browser, "lesson-wide-circuit-fitted")
    wide.click()
    width, column = fits(browser, wide)
    assert width > 2 * column                                         # zoomed: full size, scrolls sideways
    screenshot(browser, "lesson-wide-circuit-zoomed")
    wide.click()
    assert fits(browser, wide)[0] <= fits(browser, wide)[1] + 1       # and back
    assert console_errors(browser) == []


def test_an_interactive_cell_shows_a_snapshot_and_how_to_run_it_live(site, browser):
    visit(browser, site + "lessons/01_circuits.html")
    note = browser.find_element(By.CSS_SELECTOR, ".widget-snapshot")
    assert "make lessons" in note.text and "w0 = 2.0" in note.text
    snapshot = note.find_element(By.XPATH, "following-sibling::div[@class='circuitgrad-circuit']")
    labels = [t.get_attribute("textContent") for t in snapshot.find_elements(By.CSS_SELECTOR, "text")]
    assert "w0" in labels and "0.7311" in labels                      # the neuron at its starting values
    browser.execute_script("arguments[0].scrollIntoView({behavior: 'instant'})", note)
    screenshot(browser, "lesson-interactive-snapshot")
    assert console_errors(browser) == []


def test_every_lesson_has_a_page_with_its_outputs(site, browser):
    for lesson in LESSONS:
        visit(browser, site + f"lessons/{lesson.stem}.html")
        assert lesson_title(lesson) in browser.title
        outputs = browser.find_elements(By.CSS_SELECTOR, ".cell_output")
        assert outputs, f"{lesson.name} shows no outputs"
        images = browser.find_elements(By.CSS_SELECTOR, ".cell_output img")
        assert all(browser.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images)
        assert console_errors(browser) == [], lesson.name


def test_the_gate_table_lists_every_gate_with_formulas_and_a_drawing(site, browser):
    visit(browser, site + "gates.html")
    for prefix, table in (("autograd", engine_gates.TABLE), ("nn", nn_gates.TABLE)):
        for key, gate in table.items():
            name = getattr(gate, "name", key)
            section = browser.find_element(By.CSS_SELECTOR, f"section#{prefix}-{name.replace('_', '-')}")
            forward, gradients = gate.__doc__.split(";  ", 1)
            assert forward.strip() in section.text
            assert "d/d" not in gradients or "d/d" in section.text
            svg = section.find_element(By.CSS_SELECTOR, ".circuitgrad-circuit svg")
            colours = {t.get_attribute("fill") for t in svg.find_elements(By.CSS_SELECTOR, "text")}
            assert {"#1a7f37", "#cf222e"} <= colours, name             # values and gradients drawn
    summary = " ".join(t.text for t in browser.find_elements(By.CSS_SELECTOR, "table.gate-summary"))
    screenshot(browser, "gate-table-top")
    mul = browser.find_element(By.CSS_SELECTOR, "section#autograd-mul")
    browser.execute_script("arguments[0].scrollIntoView({behavior: 'instant'})", mul)
    screenshot(browser, "gate-table-mul", mul)
    conv = browser.find_element(By.CSS_SELECTOR, "section#nn-conv2d")
    browser.execute_script("arguments[0].scrollIntoView({behavior: 'instant'})", conv)
    screenshot(browser, "gate-table-conv2d", conv)
    assert "mul" in summary and "conv2d" in summary
    assert console_errors(browser) == []


@pytest.mark.parametrize("page, names", [
    ("api/autograd.html", ["autograd.Value", "autograd.Value.backward", "autograd.gradcheck",
                           "autograd.testing.check_gate"]),
    ("api/nn.html", ["nn.Module", "nn.Linear", "nn.functional.conv2d", "nn.init.kaiming_normal_"]),
    ("api/optim.html", ["optim.SGD", "optim.Adam", "optim.lr_scheduler.StepLR"]),
])
def test_the_api_reference_documents_each_package(site, browser, page, names):
    visit(browser, site + page)
    for name in names:
        entry = browser.find_element(By.ID, name)
        assert entry.find_element(By.XPATH, "following-sibling::dd").text.strip(), name
    screenshot(browser, "api-" + page.split("/")[1].removesuffix(".html"))
    assert console_errors(browser) == []


def test_the_command_line_page_is_generated_from_the_parser(site, browser):
    from circuitgrad.cli import build_parser
    visit(browser, site + "api/cli.html")
    text = browser.find_element(By.TAG_NAME, "article").text
    commands = re.search(r"\{([\w,-]+)\}", build_parser().format_usage()).group(1).split(",")
    assert "draw" in commands
    for command in commands:
        assert f"circuitgrad {command}" in text
    assert "--rankdir" in text
    screenshot(browser, "api-cli")
    assert console_errors(browser) == []
