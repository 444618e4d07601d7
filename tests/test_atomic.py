"""The one writer (atomic.write_bytes) and every writer that goes through it: never onto a
device, a FIFO, a socket or a directory, reached directly or through symlinks.

The devices are made with mknod in the test's own temporary folder (as root only; the
real /dev is never touched): a character device with /dev/full's numbers and one with
/dev/null's, and a block device. Each refusal must leave the node as it was (the same
kind, the same device numbers), write nothing, leave no temporary file, and say so in one
line naming the user's path.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograd_lite import Value, viz
from autograd_lite.atomic import NotARegularFileError, check_target, write_bytes
from autograd_lite.nn import MLP

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
as_root = pytest.mark.skipif(not ROOT, reason="mknod of a device needs root")


def char_device(folder: Path, name: str, major: int = 1, minor: int = 7) -> Path:
    path = folder / name  # (1, 7) is /dev/full's, (1, 3) /dev/null's
    os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(major, minor))
    return path


def block_device(folder: Path, name: str) -> Path:
    path = folder / name
    os.mknod(path, stat.S_IFBLK | 0o600, os.makedev(7, 200))  # a loop device's numbers
    return path


def fifo(folder: Path, name: str) -> Path:
    path = folder / name
    os.mkfifo(path)
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    yield path
    server.close()


def node_state(path: Path) -> tuple[int, int]:
    status = os.lstat(path)
    return stat.S_IFMT(status.st_mode), status.st_rdev


def assert_refused(write: Callable[[Path], object], target: Path, link: Path, kind: str) -> None:
    """write(path) refused for the node itself and for a link (and a link to the link) to it;
    the node unchanged; no other file made; one line naming the path given."""
    before = node_state(target)
    chain = link.with_name("chain-" + link.name)
    chain.symlink_to(link)
    listing = sorted(p.name for p in target.parent.iterdir())
    for path in (target, link, chain):
        with pytest.raises(NotARegularFileError) as caught:
            write(path)
        message = str(caught.value)
        assert "\n" not in message and str(path) in message and kind in message, message
        assert ".tmp" not in message
    assert node_state(target) == before
    assert sorted(p.name for p in target.parent.iterdir()) == listing  # no temporary file


WRITERS: dict[str, Callable[[Path], object]] = {
    "write_bytes": lambda path: write_bytes(path, b"ours"),
    "MLP.save": lambda path: MLP(2, [2, 1], seed=0).save(path),
    "viz.render": lambda path: viz.render(viz.draw_graph(Value(1.0) * 2.0), path),
    "viz.save_graph": lambda path: viz.save_graph(Value(1.0) * 2.0, path),
    "viz.explore": lambda path: viz.explore(Value(1.0) * 2.0, path),
}
SUFFIX = {"viz.explore": ".html", "viz.render": ".svg", "viz.save_graph": ".svg"}


@as_root
@pytest.mark.parametrize("writer", sorted(WRITERS))
@pytest.mark.parametrize("numbers", [(1, 7), (1, 3)])
def test_a_character_device_is_refused_directly_and_through_symlinks(
    writer: str, numbers: tuple[int, int], tmp_path: Path
) -> None:
    suffix = SUFFIX.get(writer, ".json")
    target = char_device(tmp_path, "dev" + suffix, *numbers)
    link = tmp_path / ("link" + suffix)
    link.symlink_to(target)
    assert_refused(WRITERS[writer], target, link, "character device")


@as_root
def test_a_block_device_is_refused(tmp_path: Path) -> None:
    target = block_device(tmp_path, "blk.json")
    (tmp_path / "link.json").symlink_to(target)
    assert_refused(WRITERS["MLP.save"], target, tmp_path / "link.json", "block device")


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_a_fifo_is_refused_without_blocking(writer: str, tmp_path: Path) -> None:
    suffix = SUFFIX.get(writer, ".json")
    target = fifo(tmp_path, "f" + suffix)
    link = tmp_path / ("link" + suffix)
    link.symlink_to(target)
    assert_refused(WRITERS[writer], target, link, "FIFO")


def test_a_socket_and_a_directory_are_refused(unix_socket: Path, tmp_path: Path) -> None:
    link = tmp_path / "sock.link"
    link.symlink_to(unix_socket)
    assert_refused(WRITERS["write_bytes"], unix_socket, link, "socket")
    folder = tmp_path / "d"
    folder.mkdir()
    (tmp_path / "d.link").symlink_to(folder)
    assert_refused(WRITERS["write_bytes"], folder, tmp_path / "d.link", "directory")


def test_a_symlink_to_a_regular_file_writes_the_file_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "run-7.json"
    real.write_bytes(b"old")
    os.chmod(real, 0o640)
    link = tmp_path / "latest.json"
    link.symlink_to(real.name)
    assert write_bytes(link, b"new") == link
    assert link.is_symlink() and os.readlink(link) == real.name
    assert real.read_bytes() == b"new" and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest.json", "run-7.json"]


def test_check_target_accepts_a_new_file_and_a_link_to_nothing_yet(tmp_path: Path) -> None:
    assert check_target(tmp_path / "new.json") == (tmp_path / "new.json").resolve()
    (tmp_path / "dangling").symlink_to(tmp_path / "later.json")
    assert check_target(tmp_path / "dangling") == (tmp_path / "later.json").resolve()


def test_an_unwritable_place_is_named_by_the_users_path_never_our_temporary_file() -> None:
    with pytest.raises(OSError) as caught:
        write_bytes("/proc/t.svg", b"x")
    assert caught.value.filename == "/proc/t.svg" and ".tmp" not in str(caught.value)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autograd_lite", *args], capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_the_draw_command_refuses_in_one_line(kind: str, tmp_path: Path) -> None:
    if kind == "device" and not ROOT:
        pytest.skip("mknod of a device needs root")
    target = fifo(tmp_path, "x.svg") if kind == "fifo" else char_device(tmp_path, "x.svg")
    (tmp_path / "link.svg").symlink_to(target)
    before = node_state(target)
    done = cli("draw", "x*2", "x=1", "-o", str(tmp_path / "link.svg"))
    assert done.returncode != 0 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and str(tmp_path / "link.svg") in lines[0], done.stderr
    assert "Traceback" not in done.stderr and node_state(target) == before
