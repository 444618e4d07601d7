"""The model file: an MLP's architecture and parameters as JSON (never pickle).

One JSON object, format version 1:

    {"format": "autograd-lite.mlp", "version": 1,
     "nin": 2, "nouts": [3, 1], "activation": "relu", "output_activation": "linear",
     "layers": [[{"w": [Θ⁽²⁾₁₁, Θ⁽²⁾₁₂], "b": b⁽²⁾₁}, …], [{"w": [Θ⁽³⁾₁₁, …], "b": b⁽³⁾₁}]]}

`layers[i][j]` is neuron j of `mlp.layers[i]`. Floats are written with `repr`, so they
round-trip exactly. Loading a file runs no code: it is data, checked field by field.

Nothing lost, nothing hung:
- `save` replaces the file atomically (`atomic.write_bytes`): a full disk or a Ctrl-C
  leaves the old file as it was.
- `read` refuses, with ValueError and before reading a byte, anything that is not a
  regular file (a FIFO, a device such as /dev/zero, a directory) and any file larger
  than `max_bytes` (default MAX_BYTES = 16 MiB). It checks the size of the architecture
  (at most `max_parameters` parameters, default MAX_PARAMETERS = 500,000, in at most
  `max_layers` layers, default MAX_LAYERS = 10,000) before it looks at a single
  parameter, so the caller never builds a model too large to load in a few seconds.
  Each limit can be raised, for a file you trust.

`nn.MLP.save`, `MLP.load` and `MLP.load_parameters` call this module; which activation
names exist is nn's business, so nn checks those.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .. import atomic
from ..core.collector import no_gc
from ..core.validation import finite_numbers, is_finite_number, whole_number

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_BYTES",
    "MAX_LAYERS",
    "MAX_PARAMETERS",
    "Architecture",
    "from_dict",
    "read",
    "save",
    "to_dict",
]

FORMAT = "autograd-lite.mlp"
FORMAT_VERSION = 1
#: The largest file `read` opens, unless told otherwise (`max_bytes`). A model at the
#: parameter limit takes 12 to 13 MiB (about 27 bytes a parameter).
MAX_BYTES = 16 * 2**20
#: The most parameters `read` accepts, unless told otherwise (`max_parameters`). Such a
#: model loads in 2 to 3 s (a 2-CPU VM); a scalar engine trains far smaller ones.
MAX_PARAMETERS = 500_000
#: The most layers `read` accepts, unless told otherwise (`max_layers`): every layer and
#: neuron costs Python objects, whatever its width.
MAX_LAYERS = 10_000


@dataclass(frozen=True)
class Architecture:
    """What a model file describes besides the numbers: sizes and activation names."""

    nin: int
    nouts: tuple[int, ...]
    activation: str
    output_activation: str

    def parameter_count(self) -> int:
        """Σₗ (fan-in + 1) · width: every weight and bias of every layer."""
        sizes = (self.nin, *self.nouts)
        return sum((fan_in + 1) * nout for fan_in, nout in zip(sizes, self.nouts))


def to_dict(architecture: Architecture, values: list[float]) -> dict[str, Any]:
    """The file's JSON object, from the architecture and the parameters in `parameters()`
    order (layer by layer, neuron by neuron, weights then bias)."""
    values = finite_numbers(values, "save", "parameters", architecture.parameter_count())
    layers: list[list[dict[str, Any]]] = []
    i = 0
    for fan_in, nout in zip((architecture.nin, *architecture.nouts), architecture.nouts):
        layer = []
        for _ in range(nout):
            layer.append({"w": values[i : i + fan_in], "b": values[i + fan_in]})
            i += fan_in + 1
        layers.append(layer)
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "nin": architecture.nin,
        "nouts": list(architecture.nouts),
        "activation": architecture.activation,
        "output_activation": architecture.output_activation,
        "layers": layers,
    }


def save(path: str | Path, architecture: Architecture, values: list[float]) -> Path:
    """The path written: the model as JSON, replacing any old file all or nothing."""
    text = json.dumps(to_dict(architecture, values), indent=1, allow_nan=False) + "\n"
    return atomic.write_bytes(path, text.encode("utf-8"))


def read(
    path: str | Path,
    *,
    max_bytes: int = MAX_BYTES,
    max_parameters: int = MAX_PARAMETERS,
    max_layers: int = MAX_LAYERS,
) -> tuple[Architecture, list[float]]:
    """(architecture, parameters in `parameters()` order) from a model file.

    ValueError, naming the file and what is wrong, for anything but a regular file of at
    most `max_bytes` bytes holding a valid model of at most `max_parameters` parameters
    in at most `max_layers` layers; OSError if it cannot be opened. Each limit must be a
    positive whole number (ValueError).
    """
    max_bytes = _limit(max_bytes, "max_bytes")
    max_parameters = _limit(max_parameters, "max_parameters")
    max_layers = _limit(max_layers, "max_layers")
    data = _read_bytes(path, max_bytes)
    # json makes a container per neuron and per list, with a large heap alive: without the
    # pause the cyclic collector walks it again and again (half the load time of a large
    # file). JSON data holds no reference cycles, so there is nothing for it to find.
    with no_gc():
        return from_dict(
            _parse(data, path), str(path), max_parameters=max_parameters, max_layers=max_layers
        )


def from_dict(
    data: object,
    source: str = "model data",
    *,
    max_parameters: int = MAX_PARAMETERS,
    max_layers: int = MAX_LAYERS,
) -> tuple[Architecture, list[float]]:
    """(architecture, parameters) from the file's JSON object, after checking all of it.

    The architecture's size is checked before the layers are looked at."""

    def bad(message: str) -> ValueError:
        return ValueError(f"{source}: {message}")

    max_parameters = _limit(max_parameters, "max_parameters")
    max_layers = _limit(max_layers, "max_layers")
    architecture = _architecture(data, bad, max_layers)
    assert isinstance(data, dict)  # _architecture has checked it
    count = architecture.parameter_count()
    if count > max_parameters:
        limit = _count(max_parameters)
        raise bad(_too_large(f"{_count(count)} parameters", limit, "max_parameters"))
    return architecture, _parameters(data["layers"], architecture, bad)


def _limit(value: object, parameter: str) -> int:
    """A limit given to read or from_dict, checked: a positive whole number."""
    return whole_number(value, f"model file limit {parameter}")


def _too_large(size: str, limit: str, parameter: str) -> str:
    return (
        f"too large to load: {size}, where the limit is {limit} (raise it with {parameter}= "
        "if you trust this file)"
    )


# --- reading ------------------------------------------------------------------------------

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def _check_regular(status: os.stat_result, path: str | Path) -> None:
    if not stat.S_ISREG(status.st_mode):
        kind = _KINDS.get(stat.S_IFMT(status.st_mode), "not a regular file")
        raise ValueError(f"{path}: not a model file ({kind}, not a regular file); nothing was read")


def _read_bytes(path: str | Path, max_bytes: int) -> bytes:
    """The file's bytes, if it is a regular file of at most max_bytes bytes."""

    def too_big(size: str) -> ValueError:
        return ValueError(
            f"{path}: {size} bytes, over the limit of {_count(max_bytes)} bytes for a model file "
            "(raise it with max_bytes= if you trust this file); nothing was read"
        )

    _check_regular(os.stat(path), path)  # a FIFO or a device is not even opened
    # O_NONBLOCK: should the path be swapped for a FIFO after the check, open must not
    # wait for a writer. The check is then made again on what was opened.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    with os.fdopen(os.open(path, flags), "rb") as file:
        status = os.fstat(file.fileno())
        _check_regular(status, path)
        if status.st_size > max_bytes:
            raise too_big(f"{status.st_size:,}")
        data = _read_at_most(file, max_bytes + 1)  # it may have grown since fstat
    if len(data) > max_bytes:
        raise too_big("more than " + _count(max_bytes))
    return data


def _read_at_most(file: BinaryIO, limit: int) -> bytes:
    """The file's bytes up to its end or the first `limit`, whichever comes first, read a
    MiB at a time: `limit` may be any whole number (file.read(10**30) would try to make
    room for that many bytes and raise OverflowError)."""
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = file.read(min(_CHUNK, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


_CHUNK = 2**20


def _parse(data: bytes, path: str | Path) -> object:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"{path}: not a model file (not UTF-8 text: {error.reason})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:  # JSONDecodeError is a ValueError
        raise ValueError(f"{path}: not a model file (corrupt JSON: {error})") from None


def _reject_constant(name: str) -> float:
    # JSON has no NaN or Infinity; Python's json would accept them, a model must not.
    raise ValueError(f"non-finite number {name}")


# --- checking -----------------------------------------------------------------------------


def _architecture(
    data: object, bad: Callable[[str], ValueError], max_layers: int
) -> Architecture:
    """The architecture, checked; the number of layers is checked against max_layers
    before each width is looked at."""
    if not isinstance(data, dict):
        raise bad(f"not a model file (expected a JSON object, got {type(data).__name__})")
    if data.get("format") != FORMAT:
        raise bad(f"not a model file (format is {_shown(data.get('format'))}, expected {FORMAT!r})")
    version = data.get("version")
    if type(version) is not int or version != FORMAT_VERSION:  # the type first: True == 1
        raise bad(
            f"unsupported version {_shown(version)} (this autograd-lite reads {FORMAT_VERSION})"
        )
    missing = {"nin", "nouts", "activation", "output_activation", "layers"} - data.keys()
    if missing:
        raise bad(f"missing keys {sorted(missing)}")
    nouts = data["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise bad(f"nouts must be a non-empty list of layer widths, got {_shown(nouts)}")
    if len(nouts) > max_layers:
        raise bad(_too_large(f"{len(nouts):,} layers", _count(max_layers), "max_layers"))
    try:
        nin = whole_number(data["nin"], "nin")
        widths = tuple(whole_number(n, f"nouts[{i}]") for i, n in enumerate(nouts))
    except ValueError as error:
        raise bad(str(error)) from None
    for key in ("activation", "output_activation"):
        if not isinstance(data[key], str):
            raise bad(f"{key} must be a string, got {_shown(data[key])}")
    return Architecture(nin, widths, data["activation"], data["output_activation"])


def _parameters(
    layers: object, architecture: Architecture, bad: Callable[[str], ValueError]
) -> list[float]:
    nouts = architecture.nouts
    if not isinstance(layers, list) or len(layers) != len(nouts):
        raise bad(
            f"expected {len(nouts):,} layers (nouts={_shown(list(nouts))}), got {_len(layers)}"
        )
    values: list[float] = []
    for i, (layer, nout, fan_in) in enumerate(zip(layers, nouts, (architecture.nin, *nouts))):
        if not isinstance(layer, list) or len(layer) != nout:
            raise bad(f"layers[{i}] should hold {nout} neurons, got {_len(layer)}")
        for j, neuron in enumerate(layer):
            where = f"layers[{i}][{j}]"
            if not isinstance(neuron, dict) or set(neuron) != {"w", "b"}:
                raise bad(
                    f"{where} should be an object with keys 'w' and 'b', got {_shown(neuron)}"
                )
            w = neuron["w"]
            if not isinstance(w, list) or len(w) != fan_in:
                raise bad(f"{where}.w should hold {fan_in} weights, got {_len(w)}")
            for k, x in enumerate([*w, neuron["b"]]):
                # JSON gives int, float, str, bool, None, list or dict: only the first two
                # are numbers, and is_finite_number refuses bools.
                if not is_finite_number(x):
                    name = f"{where}.w[{k}]" if k < fan_in else f"{where}.b"
                    raise bad(f"{name} should be a finite number, got {_shown(x)}")
                values.append(float(x))
    return values


def _len(x: object) -> str:
    return f"{len(x):,} ({type(x).__name__})" if isinstance(x, (list, dict)) else _shown(x)


def _shown(x: object) -> str:
    """repr(x) cut at 60 characters, for any value a file can hold: an int too long for
    repr (over 4,300 digits) is described by its size instead."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 190:
        return f"{'-' if x < 0 else ''}{_count(abs(x))}"
    text = repr(x)
    return text if len(text) <= 60 else text[:59] + "…"


def _count(n: int) -> str:
    """n with thousands separators, or "more than 10^k" past 57 digits, so that a count
    read from a hostile file (nin = 10**4000) cannot flood the message."""
    if n.bit_length() <= 190:
        return f"{n:,}"
    return f"more than 10^{int((n.bit_length() - 1) * 0.30102999566398)}"
