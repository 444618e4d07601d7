"""The reference checks: run by `make test-reference`, which installs torch (the CPU build).

Each module here imports torch with `pytest.importorskip("torch")`, so a plain `pytest` run
without torch reports them as skipped. Under CI (CI=true) a missing torch is an error
instead: the reference run must never pass by checking nothing.
"""

from __future__ import annotations

import os

try:
    import torch
except ImportError:
    torch = None

if os.environ.get("CI") == "true" and torch is None:
    raise RuntimeError(
        "CI=true, and torch is not installed: the reference checks would all be skipped. "
        "Run `make test-reference`, which installs torch==2.13.0 (the CPU build)."
    )
