"""micrograd's own tests, `test_sanity_check` and `test_more_ops` of its test/test_engine.py,
on autograd_lite.micrograd: each computes an expression with `Value` and with PyTorch and
compares the values and gradients.

The file is read out of micrograd 0.1.0's source distribution (which `make test` downloads
into the venv, and whose sha256 is checked); only its import line is changed
(tests/test_micrograd_acceptance.py checks that no other line changes).
"""

from __future__ import annotations

import linecache
from collections.abc import Callable
from typing import Any

import micrograd_material as material
import pytest

from autograd_lite import micrograd

pytest.importorskip("torch")  # micrograd's tests compare with PyTorch

MICROGRADS_TESTS = ("test_sanity_check", "test_more_ops")


@pytest.fixture(scope="module")
def micrograds_test_module() -> dict[str, Any]:
    """The globals of micrograd's test_engine.py after running it with our import line.

    compile/exec here runs a known published file, not user input: test/test_engine.py of
    micrograd 0.1.0's sdist, whose sha256 read_test_engine() checks."""
    source = material.with_our_import(material.read_test_engine())
    filename = f"{material.sdist_path()}/{material.TEST_ENGINE}"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "micrograd_test_engine"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_test_engine_runs_with_autograd_lites_value(micrograds_test_module: dict[str, Any]) -> None:
    assert micrograds_test_module["Value"] is micrograd.Value
    found = {name for name in micrograds_test_module if name.startswith("test_")}
    assert found == set(MICROGRADS_TESTS)


@pytest.mark.parametrize("name", MICROGRADS_TESTS)
def test_micrograds_own_test_passes(name: str, micrograds_test_module: dict[str, Any]) -> None:
    test: Callable[[], None] = micrograds_test_module[name]
    test()


