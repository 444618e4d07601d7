"""Headless Chromium, for the tests that judge pages and pictures where a learner sees them.

Debian's `chromium` and `chromium-driver` (`make test` installs them with apt when they are
missing) driven by selenium. The driver is given by path, so selenium never runs its
manager, which would try to download a driver over the network. A missing browser is a
failure that says to run `make test`, never a skip: these tests are part of the suite.

Screenshots taken with `screenshot(driver, name)` are kept under out/screenshots/ for a
person to look at.
"""

from __future__ import annotations

import io
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.remote.webdriver import WebDriver

from autograd_lite.atomic import write_bytes

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "out" / "screenshots"
#: The window a learner's laptop shows: JupyterLab's default layout gives an output area
#: of about 950 px in it.
WINDOW = (1280, 900)
#: Chromium's flags here: no first-run work, and nothing that reaches for the network
#: (this machine's closed network refuses it, many connections at a time).
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-first-run", "--disable-default-apps", "--disable-extensions",
    "--force-device-scale-factor=1", "--hide-scrollbars",
)  # fmt: skip


def chromium_driver(window: tuple[int, int] = WINDOW) -> WebDriver:
    """A new headless Chromium driven by selenium, in a fresh profile."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not Path(path).exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: run `make test`, which installs Debian's "
            "chromium and chromium-driver (or: sudo apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="autograd-lite-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={window[0]},{window[1]}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    _PROFILES[id(driver)] = profile
    return driver


_PROFILES: dict[int, str] = {}


def quit_driver(driver: WebDriver) -> None:
    driver.quit()
    shutil.rmtree(_PROFILES.pop(id(driver)), ignore_errors=True)


@pytest.fixture(scope="session")
def browser() -> Iterator[WebDriver]:
    """One headless Chromium for the session's browser tests."""
    driver = chromium_driver()
    try:
        yield driver
    finally:
        quit_driver(driver)


def screenshot(driver: WebDriver, name: str) -> bytes:
    """A PNG of what the window shows now, also kept as out/screenshots/<name>.png."""
    png: bytes = driver.get_screenshot_as_png()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    write_bytes(SCREENSHOTS / f"{name}.png", png)
    return png


def distinct_colours(png: bytes) -> int:
    """How many colours a PNG uses (1 for a blank page; at most 256 are told apart)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256)
    return len(image.getcolors(maxcolors=256) or [])
