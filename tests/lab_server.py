"""A JupyterLab server for the browser tests, on a copy of the committed notebooks.

One server per test session (`jupyterlab` fixture), started as a learner's fresh clone
meets it: fresh Jupyter config, data and runtime folders (so no notebook is trusted: the
signatures of trusted notebooks live in the data folder), no token, no browser of its
own, no news or update checks (they would reach for the network), `--allow-root` when
run as root. It serves a temporary folder holding copies of notebooks/*.ipynb, so a test
that runs a notebook cannot change the committed one.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: How long the server may take to answer at all, in seconds (a cold start takes a few).
START_TIMEOUT = 60


@dataclass(frozen=True)
class JupyterLab:
    url: str  # e.g. http://127.0.0.1:8888
    root: Path  # the folder it serves

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"jupyter lab exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/api/status", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"jupyter lab did not answer within {START_TIMEOUT} s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="session")
def jupyterlab() -> Iterator[JupyterLab]:
    """A JupyterLab serving a temporary copy of the committed notebooks, untrusted."""
    if shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None:
        pytest.fail("jupyter lab is missing: run `make test`, which installs the jupyter group")
    home = Path(tempfile.mkdtemp(prefix="autograd-lite-jupyterlab-"))
    root = home / "notebooks"
    root.mkdir()
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        shutil.copy(notebook, root / notebook.name)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    # no news toast over the figures: "never fetch the news" (the server fetches none anyway)
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True)
    (notification / "notification.jupyterlab-settings").write_text(
        '{"fetchNews": "false", "checkForUpdates": false}', "utf-8"
    )
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "jupyter-lab"),
        "--no-browser", f"--port={port}", "--ServerApp.ip=127.0.0.1",
        "--IdentityProvider.token=", "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp, so that a test opens notebooks and runs them with JupyterLab's
        # own commands instead of reloading the page (what a learner sees is the same)
        "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = home / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, server, log)
        yield JupyterLab(url, root)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(home, ignore_errors=True)
