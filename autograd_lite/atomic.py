"""All or nothing: change many attributes at once, or replace a file, so that an error or a
Ctrl-C leaves either the old state or the new one, never a mix of the two.

- `assign(objects, names, values)` sets many attributes in one step: optimizers
  commit a step with it, and `MLP.load_parameters` its new parameters.
- `write_bytes(path, data)` replaces a file: `MLP.save` writes a model with it.

This module imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

__all__ = ["assign", "write_bytes"]

# Runs an iterator to its end in C, keeping nothing (the itertools docs' `consume` recipe).
_consume: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend


def assign(objects: Sequence[object], names: Sequence[str], values: Sequence[object]) -> None:
    """Sets `objects[i].<names[i]> = values[i]` for every i, all or nothing.

    Why a Ctrl-C cannot split it: CPython runs a Python signal handler (the one that
    raises KeyboardInterrupt) only between two bytecodes of Python code, never inside a
    call to C code (see the `signal` module's documentation). Here every assignment
    runs inside one such call: `setattr` mapped over the three lists and consumed by a
    deque, all three written in C. For plain attributes (the `data` slot of a Value, a
    list held by an optimizer) no Python code runs until the last assignment is made, so
    a Ctrl-C that arrives meanwhile is raised only when the call returns. Nothing is
    freed inside the call either (`old` keeps the old values), so no `__del__` can run
    in the middle.

    An exception raised in the `try` (that Ctrl-C, or an assignment that fails: an
    attribute that is a Python property, such as a test double, or a `__setattr__`
    written in Python) sets every attribute back to its old value, again in one call,
    and propagates: nothing changed. A Ctrl-C after the `try` finds the change complete.
    """
    old = list(map(getattr, objects, names))
    try:
        _consume(map(setattr, objects, names, values))
    except BaseException:
        _consume(map(setattr, objects, names, old))
        raise


def write_bytes(path: str | Path, data: bytes) -> Path:
    """Replaces the file at `path` with `data`, all or nothing; returns the path written.

    The bytes go to a new temporary file in the same directory, which is flushed and
    fsynced, then renamed over the target with `os.replace` (atomic on POSIX and
    Windows), and the directory is fsynced so that the rename survives a power cut. If
    anything fails on the way (a full disk, a Ctrl-C), the temporary file is removed and
    the old file is left byte for byte as it was. A symlink is followed: the file it
    points to is replaced. A file that existed keeps its permission bits.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    temporary = target.with_name(f".{target.name}.{os.urandom(8).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, 0o666)  # 0o666 less the umask, as open(path, "w") would
    try:
        with os.fdopen(fd, "wb") as file:
            _keep_mode(target, temporary)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)
    return Path(path)


def _keep_mode(target: Path, temporary: Path) -> None:
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return
    os.chmod(temporary, mode)


def _sync_directory(directory: Path) -> None:
    # The rename is an entry in the directory: fsync it too. Windows cannot open a
    # directory this way, and some file systems refuse to fsync one; the file itself is
    # already on disk then, so there is nothing more to do.
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
