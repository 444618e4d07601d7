"""The one writer, `atomic.write_bytes`, and every writer that uses it (issue 24 §1, §4).

A target that exists and is not a regular file (a character device, a block device, a
FIFO, a Unix socket, a directory), reached directly, through a symlink or through a chain
of two, is refused with one line naming the user's path and what is there: nothing is
written, and the node is still there, of the same type, afterwards. A symlink to a
regular file is followed: the file gets the bytes, the link stays a link. Errors name the
user's path, never our temporary file, and a failed write leaves no temporary file.

Devices are made with os.mknod in the test's own temporary directory, with the numbers of
/dev/null and /dev/full, and only as root; they are never opened. The real /dev is never
touched. Names such as `atomic.NotARegularFileError` are looked up inside the tests, so
that this file also runs (and fails) against code from before the fix.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograd_lite import atomic
from autograd_lite.app import cli
from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

#: What each kind of node is called in the refusal.
KINDS = {
    "character device (as /dev/null)": "a character device",
    "character device (as /dev/full)": "a character device",
    "block device": "a block device",
    "FIFO": "a FIFO",
    "socket": "a socket",
    "directory": "a directory",
}
DEVICES = {
    "character device (as /dev/null)": (stat.S_IFCHR, (1, 3)),
    "character device (as /dev/full)": (stat.S_IFCHR, (1, 7)),
    "block device": (stat.S_IFBLK, (7, 0)),  # loop0's numbers; never opened
}
REACHES = ["directly", "through a symlink", "through two symlinks"]


def make_node(kind: str, path: Path) -> None:
    """A node of `kind` at `path` (in a test's tmp_path, never in /dev)."""
    if kind in DEVICES:
        if os.geteuid() != 0:
            pytest.skip("making a device node (os.mknod) needs root")
        file_type, (major, minor) = DEVICES[kind]
        try:
            os.mknod(path, file_type | 0o600, os.makedev(major, minor))
        except PermissionError:
            pytest.skip("this root may not make device nodes (no CAP_MKNOD)")
    elif kind == "FIFO":
        os.mkfifo(path)
    elif kind == "socket":
        with contextlib.chdir(path.parent), socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path.name)  # relative: a socket's path may be at most 107 bytes
    else:
        path.mkdir()


def place(kind: str, reach: str, target: Path, spare: Path) -> None:
    """A node of `kind` at `target`, or in `spare` with `target` a symlink (or a chain of
    two) to it."""
    if reach == "directly":
        make_node(kind, target)
        return
    node = spare / "node"
    make_node(kind, node)
    if reach == "through a symlink":
        target.symlink_to(node)
    else:
        (spare / "link").symlink_to(node)
        target.symlink_to(spare / "link")


def snapshot(root: Path) -> dict[str, tuple[int, int, str | None, bytes | None]]:
    """Everything below root: each entry's type, device numbers, link text and bytes."""
    seen = {}
    for folder, directories, files in os.walk(root):
        for name in directories + files:
            path = Path(folder, name)
            status = os.lstat(path)
            seen[str(path.relative_to(root))] = (
                stat.S_IFMT(status.st_mode),
                status.st_rdev,
                os.readlink(path) if stat.S_ISLNK(status.st_mode) else None,
                path.read_bytes() if stat.S_ISREG(status.st_mode) else None,
            )
    return seen


def forbid_dot(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Fails the test if dot is run: every refusal comes before any drawing."""
    from autograd_lite.viz import rendering

    tried: list[list[str]] = []

    def run(command: list[str], *args: object, **kwargs: object) -> None:
        tried.append(command)
        raise AssertionError(f"dot was run for {command}")

    monkeypatch.setattr(rendering.subprocess, "run", run)
    return tried


def refusal(call: Callable[[], object]) -> str:
    """The message of the NotARegularFileError that call raises."""
    with pytest.raises(OSError) as refused:
        call()
    assert isinstance(refused.value, atomic.NotARegularFileError), repr(refused.value)
    return str(refused.value)


def cli_refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """The one line `autograd-lite argv` prints on stderr, once it exits 2."""
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert captured.out == ""
    assert captured.err.endswith("\n") and captured.err.count("\n") == 1, captured.err
    assert "Traceback" not in captured.err
    return captured.err


def graph() -> Value:
    x = Value(1.0, label="x")
    y = x * 2.0
    y.backward()
    return y


@dataclass(frozen=True)
class Writer:
    """A way the package writes a file: `filename` in a folder, by `write(folder, capsys)`,
    which returns the refusal's line."""

    name: str
    filename: str
    write: Callable[[Path, pytest.CaptureFixture[str], pytest.MonkeyPatch], str]


def _bench(folder: Path, capsys: pytest.CaptureFixture[str], mp: pytest.MonkeyPatch) -> str:
    """benchmarks/bench.py, its workloads stubbed out: the JSON is refused before any runs."""
    mp.syspath_prepend(str(BENCHMARKS))
    import bench

    ran: list[str] = []

    def stub(name: str) -> Callable[..., object]:
        def measure(*args: object, **kwargs: object) -> object:
            ran.append(name)
            return [] if name == "targets" else "" if name == "table" else {}

        return measure

    for name in ("bench_mlp", "bench_seed", "bench_chain", "bench_memory", "targets", "table"):
        mp.setattr(bench, name, stub(name))
    mp.setattr(bench.compiled_bench, "measure", stub("compiled"))
    mp.setattr(bench.micrograd_compat, "measure", stub("micrograd_api"))
    with pytest.raises(SystemExit) as refused:
        bench.main(["--quick", "--out", str(folder)])
    assert ran == [], f"the benchmarks ran before the refusal: {ran}"
    line = str(refused.value.code)
    assert "\n" not in line
    return line


WRITERS = [
    Writer("atomic.write_bytes", "x.svg", lambda f, c, m: refusal(
        lambda: atomic.write_bytes(f / "x.svg", b"new"))),
    Writer("atomic.check_target", "x.svg", lambda f, c, m: refusal(
        lambda: atomic.check_target(f / "x.svg"))),
    Writer("MLP.save", "m.json", lambda f, c, m: refusal(
        lambda: MLP(2, [1], seed=0).save(f / "m.json"))),
    Writer("viz.render", "x.svg", lambda f, c, m: refusal(
        lambda: __import__("autograd_lite.viz").viz.render(
            __import__("autograd_lite.viz").viz.draw_graph(graph()), f / "x.svg"))),
    Writer("viz.save_graph", "x.svg", lambda f, c, m: refusal(
        lambda: __import__("autograd_lite.viz").viz.save_graph(graph(), f / "x.svg"))),
    Writer("viz.save_frames", "frame_2.svg", lambda f, c, m: refusal(
        lambda: __import__("autograd_lite.viz").viz.save_frames(
            __import__("autograd_lite.viz").viz.backward_frames(graph()), f, "svg"))),
    Writer("draw -o", "g.svg", lambda f, c, m: cli_refusal(
        c, ["draw", "x*2", "x=1", "-o", str(f / "g.svg")])),
    Writer("viz.explore", "page.html", lambda f, c, m: refusal(
        lambda: __import__("autograd_lite.viz").viz.explore(graph(), f / "page.html"))),
    Writer("draw -o page.html", "page.html", lambda f, c, m: cli_refusal(
        c, ["draw", "x*2", "x=1", "-o", str(f / "page.html")])),
    Writer("draw --frames", "frame_2.svg", lambda f, c, m: cli_refusal(
        c, ["draw", "x*2", "x=1", "-o", str(f.parent / "g.svg"), "--frames", str(f)])),
    Writer("demo --out", "loss.png", lambda f, c, m: cli_refusal(
        c, ["demo", "--out", str(f), "--steps", "1", "--no-progress"])),
    Writer("regression --out", "regression.png", lambda f, c, m: cli_refusal(
        c, ["regression", "--out", str(f), "--steps", "1", "--no-progress"])),
    Writer("bench.py --out", "bench.json", _bench),
]  # fmt: skip


@pytest.mark.parametrize("reach", REACHES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("writer", WRITERS, ids=lambda w: w.name)
def test_every_writer_refuses_a_target_that_is_not_a_regular_file(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    writer: Writer,
    kind: str,
    reach: str,
) -> None:
    folder, spare = tmp_path / "out", tmp_path / "elsewhere"
    folder.mkdir()
    spare.mkdir()
    target = folder / writer.filename
    place(kind, reach, target, spare)
    tried = forbid_dot(monkeypatch)
    before = snapshot(tmp_path)

    line = writer.write(folder, capsys, monkeypatch).strip()

    assert "\n" not in line
    assert str(target) in line, f"the user's path is not named: {line}"
    assert KINDS[kind].removeprefix("a ") in line, f"what is there is not said: {line}"
    assert ".tmp" not in line
    assert tried == []
    # nothing written, nothing left behind, the node (and any link) as it was
    assert snapshot(tmp_path) == before


# --- write_bytes itself ----------------------------------------------------------------


def test_a_refusal_says_where_the_symlinks_lead(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "b").symlink_to(tmp_path / "pipe")
    (tmp_path / "a.json").symlink_to("b")  # relative, then absolute
    message = refusal(lambda: atomic.write_bytes(tmp_path / "a.json", b"x"))
    assert message.startswith(f"refusing to write {str(tmp_path / 'a.json')!r}: it leads ")
    assert repr(str(tmp_path / "pipe")) in message and "a FIFO" in message
    assert "nothing was written" in message
    assert stat.S_ISFIFO(os.lstat(tmp_path / "pipe").st_mode)


@pytest.mark.parametrize("reach", ["a symlink", "two symlinks", "a relative symlink"])
def test_a_symlink_to_a_regular_file_writes_the_file_and_stays_a_link(
    tmp_path: Path, reach: str
) -> None:
    real = tmp_path / "real" / "run-7.json"
    real.parent.mkdir()
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / "latest.json"
    if reach == "two symlinks":
        (tmp_path / "middle.json").symlink_to(real)
        link.symlink_to(tmp_path / "middle.json")
    else:
        link.symlink_to(real if reach == "a symlink" else Path("real", "run-7.json"))
    links = {p: os.readlink(p) for p in tmp_path.iterdir() if p.is_symlink()}

    assert atomic.write_bytes(link, b"new") == link

    assert real.read_bytes() == b"new"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert {p: os.readlink(p) for p in tmp_path.iterdir() if p.is_symlink()} == links
    assert sorted(p.name for p in real.parent.iterdir()) == ["run-7.json"]  # no temp file


def test_a_symlink_that_points_nowhere_yet_makes_its_file(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to(tmp_path / "new.json")
    assert atomic.check_target(link) == (tmp_path / "new.json").resolve()
    assert atomic.check_target(tmp_path / "a.json") == (tmp_path / "a.json").resolve()
    atomic.write_bytes(link, b"new")
    assert link.is_symlink() and (tmp_path / "new.json").read_bytes() == b"new"


def test_a_symlink_loop_is_an_oserror_naming_the_path(tmp_path: Path) -> None:
    (tmp_path / "a.svg").symlink_to(tmp_path / "b.svg")
    (tmp_path / "b.svg").symlink_to(tmp_path / "a.svg")
    with pytest.raises(OSError) as refused:
        atomic.write_bytes(tmp_path / "a.svg", b"x")
    assert refused.value.errno == errno.ELOOP
    assert refused.value.filename == str(tmp_path / "a.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.svg", "b.svg"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc")
@pytest.mark.parametrize("path", ["/proc/t.svg", "/proc/nope/t.svg"])
def test_an_unwritable_folder_is_an_error_naming_the_users_path(path: str) -> None:
    with pytest.raises(OSError) as failed:
        atomic.write_bytes(path, b"x")
    assert failed.value.filename == path
    assert ".tmp" not in str(failed.value)
    assert "\n" not in str(failed.value)


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "m.json"
    target.write_bytes(b"old")
    real_fsync = os.fsync
    calls = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 1:  # the temporary file's fsync
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError) as failed:
        atomic.write_bytes(target, b"new" * 1000)
    assert failed.value.errno == errno.ENOSPC
    assert failed.value.filename == str(target)  # the user's path, not the temporary file
    assert ".tmp" not in str(failed.value)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


@pytest.mark.parametrize("existed", [True, False])
def test_a_target_swapped_for_a_fifo_during_the_write_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existed: bool
) -> None:
    target = tmp_path / "m.json"
    if existed:
        target.write_bytes(b"old")
    real_fsync = os.fsync
    calls = []

    def swap(fd: int) -> None:  # while our bytes go to disk, someone puts a FIFO there
        calls.append(fd)
        if len(calls) == 1:
            target.unlink(missing_ok=True)
            os.mkfifo(target)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", swap)
    message = refusal(lambda: atomic.write_bytes(target, b"new"))
    assert str(target) in message and "became a FIFO" in message and ".tmp" not in message
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]
