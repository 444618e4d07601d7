"""Shared test settings.

Hypothesis runs the "ci" profile (bounded examples, no deadline: no timed assertions)
unless HYPOTHESIS_PROFILE names another, e.g. HYPOTHESIS_PROFILE=thorough.
"""

import os

import pytest
from browser import browser  # noqa: F401  (the headless Chromium fixture: tests/browser.py)
from hypothesis import HealthCheck, settings
from lab_server import jupyterlab  # noqa: F401  (one JupyterLab server: tests/lab_server.py)

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`make test` runs `-n auto --dist loadgroup`), the tests that use the
    JupyterLab server run on one worker, so that one server is started, not one per worker.
    They come first: the longest chain of work starts at once while the other workers share
    the rest (on 2 cores a second `make test` took 93–98 s, against 142 s as two runs)."""
    lab: list[pytest.Item] = []
    rest: list[pytest.Item] = []
    for item in items:
        (lab if "jupyterlab" in getattr(item, "fixturenames", ()) else rest).append(item)
    for item in lab:
        item.add_marker(pytest.mark.xdist_group("jupyterlab"))
    items[:] = lab + rest
