"""The browser the page tests use works here: it opens a page from disk, runs its script,
and its screenshots are pictures, not blank frames."""

from __future__ import annotations

from pathlib import Path

from browser import distinct_colours, screenshot
from selenium.webdriver.remote.webdriver import WebDriver

PAGE = """<!doctype html><meta charset="utf-8"><title>smoke</title>
<body style="margin:0"><canvas id="c" width="400" height="200"></canvas>
<p id="out"></p><script>
const c = document.getElementById("c").getContext("2d");
c.fillStyle = "#f5a623"; c.fillRect(20, 20, 160, 120);
c.fillStyle = "#4a90d9"; c.fillRect(200, 60, 160, 120);
document.getElementById("out").textContent = String(0.1 + 0.2);
</script>"""


def test_chromium_opens_a_page_from_disk_and_runs_its_script(
    browser: WebDriver, tmp_path: Path
) -> None:
    page = tmp_path / "smoke.html"
    page.write_text(PAGE, "utf-8")
    browser.get(page.as_uri())
    assert browser.find_element("id", "out").text == repr(0.1 + 0.2)  # JS doubles are IEEE's
    assert distinct_colours(screenshot(browser, "smoke")) >= 3


def test_a_blank_page_counts_as_one_colour(browser: WebDriver, tmp_path: Path) -> None:
    page = tmp_path / "blank.html"
    page.write_text("<!doctype html><body style='background:#fff'></body>", "utf-8")
    browser.get(page.as_uri())
    assert distinct_colours(screenshot(browser, "blank")) == 1
