"""Model files: saves that lose nothing, loads that read only what they should (issue 11).

The tests go through `MLP.save`, `MLP.load` and `MLP.load_parameters`, so that the same
tests run against any version of the library; a few check `model_file` itself.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from autograd_lite.nn import FORMAT, FORMAT_VERSION, MLP

MAX_BYTES = 16 * 2**20  # model_file.MAX_BYTES, written out: these tests also run on old code


def data_of(mlp: MLP) -> list[float]:
    return [p.data for p in mlp.parameters()]


def saved(tmp_path: Path, name: str = "model.json") -> tuple[Path, bytes]:
    path = MLP(2, [3, 1], seed=0).save(tmp_path / name)
    return path, path.read_bytes()


# --- atomic save ---------------------------------------------------------------------------


def test_a_save_that_hits_a_full_disk_leaves_the_old_file_byte_identical(tmp_path: Path) -> None:
    # RLIMIT_FSIZE stands in for a full disk: a write past 4,096 bytes fails with EFBIG
    # (Python ignores SIGXFSZ, so the process lives on to see the OSError).
    pytest.importorskip("resource")
    path, before = saved(tmp_path)
    script = (
        "import resource, sys\n"
        "from autograd_lite.nn import MLP\n"
        "big = MLP(2, [64, 64, 1], seed=1)  # about 160 kB of JSON\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "try:\n"
        "    big.save(sys.argv[1])\n"
        "except OSError as error:\n"
        "    print('OSError', error.errno)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,  # the package, not ./
    )
    assert result.stdout.split() == ["OSError", str(errno.EFBIG)], result.stderr
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]  # no temporary file left


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left"), KeyboardInterrupt()])
def test_a_save_that_fails_before_the_rename_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException
) -> None:
    path, before = saved(tmp_path)

    def failing_fsync(fd: int) -> None:
        raise error

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(type(error)):
        MLP(2, [64, 1], seed=1).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


def test_a_save_replaces_the_file_and_leaves_nothing_else(tmp_path: Path) -> None:
    path, _ = saved(tmp_path)
    other = MLP(2, [3, 1], seed=9)
    assert other.save(path) == path
    assert data_of(MLP.load(path)) == data_of(other)
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_a_save_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    path, _ = saved(tmp_path)
    path.chmod(0o600)
    MLP(2, [3, 1], seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    umask = os.umask(0o022)  # a new file gets 0o666 less the umask, as open() gives it
    try:
        fresh = MLP(2, [3, 1], seed=1).save(tmp_path / "fresh.json")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o644


def test_a_save_through_a_symlink_updates_the_file_it_points_to(tmp_path: Path) -> None:
    real, _ = saved(tmp_path, "real.json")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    other = MLP(2, [3, 1], seed=5)
    other.save(link)
    assert link.is_symlink()
    assert data_of(MLP.load(real)) == data_of(other)


def test_a_model_with_a_non_finite_parameter_is_not_saved(tmp_path: Path) -> None:
    path, before = saved(tmp_path)
    model = MLP(2, [3, 1], seed=1)
    model.layers[0].neurons[1].w[0].data = float("nan")  # set by hand
    with pytest.raises(ValueError, match=r"save: parameters\[3\] needs a finite number, got nan"):
        model.save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


# --- what load refuses to read -------------------------------------------------------------


def load_in_thread(call: Callable[[], object], release: Path) -> BaseException | None:
    """The exception `call` raised (None if it returned). A generous join timeout guards
    against a load that blocks on the FIFO `release`; it is then unblocked and fails."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:
            outcome.append(error)
        else:
            outcome.append(None)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=60)
    if thread.is_alive():
        os.close(os.open(release, os.O_WRONLY | os.O_NONBLOCK))  # a writer: open returns
        thread.join(timeout=60)
        pytest.fail("the load blocked, waiting for a writer on the FIFO")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_with_no_writer_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    model = MLP(2, [3, 1], seed=0)
    before = data_of(model)
    for call in (lambda: MLP.load(fifo), lambda: model.load_parameters(fifo)):
        error = load_in_thread(call, fifo)
        assert isinstance(error, ValueError), error
        assert "a FIFO, not a regular file" in str(error)
    assert data_of(model) == before


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_symlink_to_dev_zero_is_refused_without_reading(tmp_path: Path) -> None:
    link = tmp_path / "model.json"
    link.symlink_to("/dev/zero")
    with pytest.raises(ValueError, match="a character device, not a regular file"):
        MLP.load(link)


def test_a_directory_is_refused_with_a_value_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="a directory, not a regular file"):
        MLP.load(tmp_path)


def test_a_symlink_to_a_model_file_loads(tmp_path: Path) -> None:
    path, _ = saved(tmp_path)
    link = tmp_path / "link.json"
    link.symlink_to(path)
    assert data_of(MLP.load(link)) == data_of(MLP(2, [3, 1], seed=0))


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as file:
        file.truncate(MAX_BYTES + 1)  # sparse: no disk used, no time spent
    with pytest.raises(ValueError, match=r"over the limit of 16,777,216 bytes.*max_bytes="):
        MLP.load(huge)


def test_max_bytes_lowers_or_raises_the_size_limit(tmp_path: Path) -> None:
    path, text = saved(tmp_path)
    model = MLP(2, [3, 1], seed=1)
    with pytest.raises(ValueError, match="over the limit of 100 bytes"):
        MLP.load(path, max_bytes=100)
    with pytest.raises(ValueError, match="over the limit of 100 bytes"):
        model.load_parameters(path, max_bytes=100)
    assert data_of(model) == data_of(MLP(2, [3, 1], seed=1))
    assert data_of(MLP.load(path, max_bytes=len(text))) == data_of(MLP(2, [3, 1], seed=0))


def model_text(nin: int, nouts: list[int], layers: str) -> str:
    head = {"format": FORMAT, "version": FORMAT_VERSION, "nin": nin,
            "nouts": nouts, "activation": "linear", "output_activation": "linear"}
    return json.dumps(head)[:-1] + f', "layers": {layers}}}'


def test_the_architecture_is_checked_before_the_layers(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(model_text(1, [1] * 20_000, "[]"), "utf-8")  # 60 kB, claiming 20,000 layers
    with pytest.raises(ValueError, match="too large to load: 20,000 layers, where the limit is"):
        MLP.load(path)


def test_a_valid_file_of_a_million_width_1_layers_is_refused_quickly(tmp_path: Path) -> None:
    # The case: 29 MB, a valid model. The size limit refuses it before a byte is
    # read; with that limit raised, the architecture's size refuses it before anything is
    # built (the JSON must be parsed first: about a second).
    path = tmp_path / "million.json"
    layers = "[" + '[{"w": [0.5], "b": 0.25}], ' * 999_999 + '[{"w": [0.5], "b": 0.25}]]'
    path.write_text(model_text(1, [1] * 1_000_000, layers), "utf-8")
    assert path.stat().st_size > 29_000_000
    with pytest.raises(ValueError, match="over the limit of 16,777,216 bytes"):
        MLP.load(path)
    with pytest.raises(ValueError, match="too large to load: 1,000,000 layers"):
        MLP.load(path, max_bytes=2**25)


def test_the_parameter_and_layer_limits_can_be_raised(tmp_path: Path) -> None:
    path, _ = saved(tmp_path)  # MLP(2, [3, 1]): 13 parameters in 2 layers
    model = MLP(2, [3, 1], seed=1)
    for limits, message in (({"max_parameters": 12}, "13 parameters, where the limit is 12"),
                            ({"max_layers": 1}, "2 layers, where the limit is 1")):
        with pytest.raises(ValueError, match=message):
            MLP.load(path, **limits)
        with pytest.raises(ValueError, match=message):
            model.load_parameters(path, **limits)
    assert data_of(model) == data_of(MLP(2, [3, 1], seed=1))
    loaded = MLP.load(path, max_parameters=13, max_layers=2)
    assert data_of(loaded) == data_of(MLP(2, [3, 1], seed=0))


def test_what_a_bad_file_holds_is_quoted_at_most_60_characters_long(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    good = MLP(2, [3, 1], seed=0).to_dict()
    bad_neuron = {"w": [0.0] * 2, "b": 0.0, "x": [1.0] * 200_000}
    bad_bias = {"w": [0.0] * 2, "b": [[1.0] * 100_000]}
    bad_weights = {"w": "w" * 100_000, "b": 0.0}
    for neuron in (bad_neuron, bad_bias, bad_weights):
        path.write_text(json.dumps({**good, "layers": [[neuron] * 3, good["layers"][1]]}))
        with pytest.raises(ValueError, match=r"layers\[0\]\[0\]") as refused:
            MLP.load(path)
        assert len(str(refused.value)) < 250
    for key in ("format", "version"):
        path.write_text(json.dumps({**good, key: "v" * 100_000}))
        with pytest.raises(ValueError, match=key) as refused:
            MLP.load(path)
        assert len(str(refused.value)) < 250


@pytest.mark.parametrize("limit", ["max_bytes", "max_parameters", "max_layers"])
@pytest.mark.parametrize("value", [None, 1.5, "100", True, 0])
def test_the_limits_must_be_positive_whole_numbers(
    tmp_path: Path, limit: str, value: object
) -> None:
    path, _ = saved(tmp_path)
    model = MLP(2, [3, 1], seed=1)
    with pytest.raises(ValueError, match=f"limit {limit} must be a"):
        MLP.load(path, **{limit: value})  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=f"limit {limit} must be a"):
        model.load_parameters(path, **{limit: value})  # type: ignore[arg-type]
    assert data_of(model) == data_of(MLP(2, [3, 1], seed=1))


@pytest.mark.parametrize(
    "limit",
    [10**30, 2**63, 2**63 - 1, 2**64, 10**4000, np.int64(2**62)],
    ids=["10**30", "2**63", "2**63-1", "2**64", "10**4000", "np.int64(2**62)"],
)
def test_any_whole_number_is_a_size_limit(tmp_path: Path, limit: int) -> None:
    # issue 24 §2: 10**30 and 2**63 raised OverflowError (file.read could not take them)
    path, _ = saved(tmp_path)
    expected = data_of(MLP(2, [3, 1], seed=0))
    assert data_of(MLP.load(path, max_bytes=limit)) == expected
    model = MLP(2, [3, 1], seed=1)
    model.load_parameters(path, max_bytes=limit, max_parameters=limit, max_layers=limit)
    assert data_of(model) == expected


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (-1, "must be a positive whole number, got -1"),
        (-(2**63), "must be a positive whole number, got -9223372036854775808"),
        (-(10**4000), "must be a positive whole number, got a negative int of 13,288 bits"),
        (False, "must be a whole number, got bool False"),
        (2.0**63, "must be a whole number, got float 9.223372036854776e+18"),
        ("10**30", "must be a whole number, got str '10**30'"),
        ("9" * 10_000, "must be a whole number, got str '99999"),
    ],
    ids=["-1", "-2**63", "-10**4000", "False", "2.0**63", "str", "long str"],
)
def test_a_bad_size_limit_is_refused_clearly(tmp_path: Path, value: object, says: str) -> None:
    path, _ = saved(tmp_path)
    model = MLP(2, [3, 1], seed=1)
    for call in (MLP.load, model.load_parameters):
        with pytest.raises(ValueError) as refused:
            call(path, max_bytes=value)  # type: ignore[operator]
        message = str(refused.value)
        assert message.startswith(f"model file limit max_bytes {says}")
        assert len(message) < 130  # the value cut at about 60 characters
    assert data_of(model) == data_of(MLP(2, [3, 1], seed=1))


HOSTILE = {
    "nin = 10**4000": ({"nin": 10**4000}, "more than 10^4000 parameters"),
    "nin = -10**4000": ({"nin": -(10**4000)}, "nin must be a positive whole number"),
    "nin = [1]*10000": ({"nin": [1] * 10_000}, "nin must be a whole number, got list"),
    "nouts = [1]*10000": ({"nouts": [1] * 10_000}, "expected 10,000 layers (nouts=[1, 1,"),
    "nouts = [10**4000]": ({"nouts": [10**4000]}, "more than 10^4000 parameters"),
    "nouts = [3, -10**4000]": ({"nouts": [3, -(10**4000)]}, "nouts[1] must be a positive"),
    "nouts = ['x'*10**5]": ({"nouts": ["x" * 10**5]}, "nouts[0] must be a whole number"),
    "activation = 'a'*10**5": ({"activation": "a" * 10**5}, "unknown activation 'aaa"),
    "output_activation = [1]*10000": (
        {"output_activation": [1] * 10_000}, "output_activation must be a string"
    ),
    "format = [1]*10000": ({"format": [1] * 10_000}, "format is [1, 1,"),
    "version = 10**4000": ({"version": 10**4000}, "unsupported version more than 10^"),
    "a weight = 10**4000": (
        {"layers": [[{"w": [10**4000, 0.0], "b": 0.0}] * 3, [{"w": [0.0] * 3, "b": 0.0}]]},
        "layers[0][0].w[0] should be a finite number, got more than 10^",
    ),
    "a bias = 'b'*10**5": (
        {"layers": [[{"w": [0.0, 0.0], "b": "b" * 10**5}] * 3, [{"w": [0.0] * 3, "b": 0.0}]]},
        "layers[0][0].b should be a finite number, got 'bbb",
    ),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_content_is_quoted_cut_to_about_60_characters(tmp_path: Path, case: str) -> None:
    # issue 19 item 8: nin = 10**4000 gave a 5,459-character message, nouts = [1]*10000
    # one of 30,056 characters
    change, says = HOSTILE[case]
    path = tmp_path / "m.json"
    path.write_text(json.dumps({**MLP(2, [3, 1], seed=0).to_dict(), **change}), "utf-8")
    model = MLP(2, [3, 1], seed=1)
    for call in (MLP.load, model.load_parameters):
        with pytest.raises(ValueError) as refused:
            call(path)
        message = str(refused.value)
        assert message.startswith(f"{path}: ") and says in message, message
        assert "\n" not in message
        assert len(message) - len(str(path)) < 160, f"{len(message)} characters"
    assert data_of(model) == data_of(MLP(2, [3, 1], seed=1))


# --- the module ----------------------------------------------------------------------------


def test_model_file_reads_what_save_wrote(tmp_path: Path) -> None:
    from autograd_lite.nn import model_file

    assert model_file.MAX_BYTES == MAX_BYTES
    mlp = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=7)
    path = mlp.save(tmp_path / "m.json")
    architecture, values = model_file.read(path)
    assert architecture == model_file.Architecture(3, (4, 2), "tanh", "sigmoid")
    assert architecture.parameter_count() == (3 + 1) * 4 + (4 + 1) * 2 == len(values)
    assert values == data_of(mlp)
    assert model_file.to_dict(architecture, values) == mlp.to_dict()
    assert model_file.from_dict(mlp.to_dict()) == (architecture, values)
