"""Shared test settings.

Hypothesis runs the "ci" profile (bounded examples, no deadline: no timed assertions)
unless HYPOTHESIS_PROFILE names another, e.g. HYPOTHESIS_PROFILE=thorough.
"""

import os

from browser import browser  # noqa: F401  (the headless Chromium fixture: tests/browser.py)
from hypothesis import HealthCheck, settings
from lab_server import jupyterlab  # noqa: F401  (one JupyterLab server: tests/lab_server.py)

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
