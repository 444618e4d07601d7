"""All or nothing: change many attributes at once, or replace a file, so that an error or a
Ctrl-C leaves either the old state or the new one, never a mix of the two.

- `assign(objects, names, values)` sets many attributes in one step: optimizers
  commit a step with it, and `MLP.load_parameters` its new parameters.
- `write_bytes(path, data)` replaces a file: every file the package writes goes through
  it (models, figures, frames, plots, notebooks, benchmark reports). It refuses a target
  that exists and is not a regular file (a device, a FIFO, a socket, a directory),
  reached directly or through symlinks, with `NotARegularFileError`; `check_target(path)`
  makes the same check without writing, for a caller that writes several files and wants
  to refuse before the first.

This module imports nothing of ours.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

__all__ = ["NotARegularFileError", "assign", "check_target", "write_bytes"]

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


class NotARegularFileError(OSError):
    """A write refused: its target exists and is not a regular file (a device, a FIFO, a
    socket, a directory), reached directly or through symlinks. Nothing was written."""


#: What each kind of file is called in NotARegularFileError's message.
_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (a named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFLNK: "a symlink",
}


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Replaces the file at `path` with `data`, all or nothing; returns `Path(path)`.

    The target must be a regular file or not exist yet: a device, a FIFO, a socket or a
    directory there, directly or at the end of symlinks, raises NotARegularFileError
    naming `path` and what it is, and nothing is written. A symlink to a regular file is
    followed: the file it points to gets the new bytes and the link stays a link (as
    editors do), so a link such as `latest.json -> run-7.json` keeps pointing where it did.

    How: the bytes go to a new temporary file beside the link's target (the symlinks
    resolved), which is flushed and fsynced, then renamed over the target with
    `os.replace` (atomic on POSIX and Windows); the directory is fsynced so that the
    rename survives a power cut. If anything fails on the way (a full disk, a Ctrl-C),
    the temporary file is removed and the old file is left byte for byte as it was. A
    file that existed keeps its permission bits (not its owner: the file is new).

    The check and the rename. The target is checked once before anything is written.
    Then, on POSIX, its directory is opened, and the temporary file, a second check of
    the target just before the rename, and the rename itself are all made relative to
    that open directory: a directory above swapped for a symlink meanwhile cannot send
    the rename elsewhere, and a target swapped for a device or a FIFO while the bytes
    were written is refused. What remains: someone who may write in that directory can
    put a device node in the target's place between the second check and the rename, a
    window of one system call. The rename then replaces that directory entry (the node
    is unlinked); it never opens the target, so nothing is written to the device.

    Errors name `path`, never the temporary file: an OSError keeps its errno and the OS's
    reason, with `path` as its filename.
    """
    target = check_target(path)
    directory = _open_directory(target.parent, path)
    temporary = f".{target.name}.{os.urandom(8).hex()}.tmp"
    temporary = temporary if directory is not None else str(target.with_name(temporary))
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        try:
            # 0o666 less the umask, as open(path, "w") would
            fd = os.open(temporary, flags, 0o666, dir_fd=directory)
        except OSError as error:
            raise _naming(error, path) from None
        _write_and_rename(fd, data, temporary, target, directory, path)
        _sync_directory(directory)
    finally:
        if directory is not None:
            os.close(directory)
    return Path(path)


def check_target(path: str | os.PathLike[str]) -> Path:
    """The file a write to `path` replaces (its symlinks resolved), if that is a regular
    file or nothing yet; else NotARegularFileError naming `path` and what is there (an
    OSError naming `path` if it cannot be looked at: a symlink loop, a file where a
    directory should be)."""
    target = Path(os.path.realpath(path))
    try:
        status = os.lstat(target)
    except FileNotFoundError:
        return target  # a new file (also at the end of a symlink that points nowhere yet)
    except OSError as error:
        raise _naming(error, path) from None
    _check_status(status, path, target)
    return target


def _check_status(
    status: os.stat_result, path: str | os.PathLike[str], target: Path, when: str = "is"
) -> None:
    """NotARegularFileError unless `status` (an lstat of `target`) is a regular file's;
    `when` is "is", or "became" for the second check."""
    if stat.S_ISREG(status.st_mode):
        return
    if stat.S_ISLNK(status.st_mode) and when == "is":  # realpath stops at a link in a loop
        raise _naming(OSError(errno.ELOOP, os.strerror(errno.ELOOP)), path)
    shown = os.fspath(path)
    kind = _KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
    linked = os.path.abspath(shown) != str(target)
    what = f"{when} {kind}"
    if linked:
        what = f"leads through symlinks to {str(target)!r}, which {what}"
    raise NotARegularFileError(
        f"refusing to write {shown!r}: it {what}, not a regular file; nothing was written "
        "(give the path of a file, or of one that does not exist yet)"
    )


def _write_and_rename(
    fd: int,
    data: bytes,
    temporary: str,
    target: Path,
    directory: int | None,
    path: str | os.PathLike[str],
) -> None:
    """data into the open temporary file, then the rename over `target`; on any failure
    the temporary file is removed and the target left as it was."""
    name = target.name if directory is not None else str(target)
    try:
        with os.fdopen(fd, "wb") as file:
            _keep_mode(name, file.fileno(), directory)
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        _recheck(target, directory, path)
        os.replace(temporary, name, src_dir_fd=directory, dst_dir_fd=directory)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary, dir_fd=directory)
        if isinstance(error, OSError) and not isinstance(error, NotARegularFileError):
            raise _naming(error, path) from None
        raise


def _recheck(target: Path, directory: int | None, path: str | os.PathLike[str]) -> None:
    """The check again, just before the rename: the target may have changed meanwhile."""
    name = target.name if directory is not None else str(target)
    try:
        status = os.stat(name, dir_fd=directory, follow_symlinks=False)
    except FileNotFoundError:
        return
    _check_status(status, path, target, "became")


def _naming(error: OSError, path: str | os.PathLike[str]) -> OSError:
    """The same error (its errno and the OS's reason) naming the user's `path`."""
    if error.errno is None:
        return error
    return OSError(error.errno, error.strerror or os.strerror(error.errno), os.fspath(path))


def _open_directory(directory: Path, path: str | os.PathLike[str]) -> int | None:
    """The directory, opened for the *_dir_fd calls (POSIX); None where they do not exist."""
    if os.name != "posix" or os.open not in os.supports_dir_fd:
        return None
    try:
        return os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise _naming(error, path) from None


def _keep_mode(name: str, fd: int, directory: int | None) -> None:
    try:
        mode = stat.S_IMODE(os.stat(name, dir_fd=directory).st_mode)
    except FileNotFoundError:
        return
    if os.chmod in os.supports_fd:
        os.chmod(fd, mode)
    else:
        os.chmod(name, mode)


def _sync_directory(directory: int | None) -> None:
    # The rename is an entry in the directory: fsync it too. Windows cannot open a
    # directory this way, and some file systems refuse to fsync one; the file itself is
    # already on disk then, so there is nothing more to do.
    if directory is None:
        return
    with contextlib.suppress(OSError):
        os.fsync(directory)
