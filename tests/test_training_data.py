"""training.fit / predict / r_squared, and the datasets in data."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP, data, manual
from autograd_lite.nn.losses import binary_cross_entropy_with_logits, half_squared_error, mse
from autograd_lite.nn.optim import SGD, Adam
from autograd_lite.training import DivergenceError, fit, predict, r_squared


def data_of(mlp: MLP) -> list[float]:
    return [p.data for p in mlp.parameters()]


class CountingSGD(SGD):
    steps = 0

    def step(self) -> None:
        self.steps += 1
        super().step()


# --- fit -----------------------------------------------------------------------------------


def test_one_full_batch_epoch_is_theta_minus_alpha_mean_gradient() -> None:
    mlp = MLP(2, [3, 2], activation="tanh", seed=0)
    xs = [[0.5, -1.0], [1.0, 0.25], [-0.3, 0.8]]
    ys = [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]]
    before = data_of(mlp)
    per_sample = [manual.backprop(mlp, x, y) for x, y in zip(xs, ys)]
    mean_grad = [sum(g) / 3 for g in zip(*per_sample)]
    history = fit(mlp, xs, ys, epochs=1, progress=False)  # default: SGD, α = 0.01
    expected = [t - 0.01 * g for t, g in zip(before, mean_grad)]
    assert all(abs(a - b) <= 1e-15 for a, b in zip(data_of(mlp), expected))
    with_loss = MLP(2, [3, 2], activation="tanh", seed=0)
    mean_J = sum(half_squared_error(with_loss(x), y).data for x, y in zip(xs, ys)) / 3
    assert history == [pytest.approx(mean_J, abs=1e-15)]


def test_history_has_one_entry_per_epoch_and_goes_down() -> None:
    xs = [[x / 10] for x in range(10)]
    ys = [[2 * x[0] + 1] for x in xs]
    mlp = MLP(1, [1], output_activation="linear", seed=0)
    history = fit(mlp, xs, ys, optimizer=SGD(mlp.parameters(), lr=0.3), epochs=50,
                  progress=False)
    assert len(history) == 50
    assert history[-1] < 1e-3 * history[0]


def test_batch_size_sets_the_number_of_steps() -> None:
    mlp = MLP(1, [2, 1], seed=0)
    xs, ys = [[float(i)] for i in range(7)], [[0.0]] * 7
    opt = CountingSGD(mlp.parameters(), lr=1e-3)
    fit(mlp, xs, ys, optimizer=opt, epochs=2, batch_size=3, progress=False)
    assert opt.steps == 2 * 3  # batches of 3, 3, 1
    opt.steps = 0
    fit(mlp, xs, ys, optimizer=opt, epochs=2, progress=False)
    assert opt.steps == 2  # full batch


def test_fit_accepts_plain_numbers_as_samples() -> None:
    xs, ys = data.quadratic()
    sx, _, _ = data.standardize(xs)
    sy, _, _ = data.standardize(ys)
    mlp = MLP(1, [4, 1], seed=0)
    history = fit(mlp, sx, sy, loss=mse, optimizer=Adam(mlp.parameters(), lr=0.05), epochs=30,
                  progress=False)
    assert history[-1] < history[0]


def test_fit_learns_xor_with_cross_entropy() -> None:
    xs, ys = data.xor()
    mlp = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
    fit(mlp, xs, ys, loss=binary_cross_entropy_with_logits,
        optimizer=Adam(mlp.parameters(), lr=0.1), epochs=150, progress=False)
    predicted = [1.0 if p[0] > 0 else 0.0 for p in predict(mlp, xs)]
    assert predicted == ys


def test_progress_bar_shows_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    mlp = MLP(1, [1], seed=0)
    fit(mlp, [[1.0]], [[1.0]], epochs=3, progress=False)
    assert capsys.readouterr().err == ""
    fit(mlp, [[1.0]], [[1.0]], epochs=3, progress=True)
    err = capsys.readouterr().err
    assert "fit" in err and "3/3" in err


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"xs": [[1.0]], "ys": [[1.0], [2.0]]}, ValueError,
         "fit needs as many xs as ys, got 1 xs and 2 ys"),
        ({"xs": [], "ys": []}, ValueError, "at least one sample"),
        ({"xs": [[1.0, 2.0]]}, ValueError, r"the model expects 1 inputs, got 2 in xs\[0\]"),
        ({"ys": [[1.0, 2.0]]}, ValueError, r"the model has 1 outputs, got 2 targets in ys\[0\]"),
        ({"xs": [[math.inf]]}, ValueError, r"fit: xs\[0\]\[0\] needs a finite number, got inf"),
        ({"xs": [math.nan]}, ValueError, r"fit: xs\[0\] needs a finite number, got nan"),
        ({"xs": ["a"]}, TypeError, r"fit needs xs\[0\] as a list of numbers, got str 'a'"),
        ({"xs": [[True]]}, TypeError, r"fit: xs\[0\]\[0\] needs a real number, got bool"),
        ({"xs": 1.0}, TypeError, "fit needs xs as a list of numbers, got float"),
        ({"epochs": 0}, ValueError, "fit epochs must be a positive whole number, got 0"),
        ({"epochs": 2.5}, ValueError, "fit epochs must be a whole number, got float 2.5"),
        ({"epochs": True}, ValueError, "fit epochs must be a whole number, got bool True"),
        ({"batch_size": 0}, ValueError, "fit batch_size must be a positive whole number, got 0"),
        ({"loss": "mse"}, ValueError, "fit loss must be a function"),
        ({"optimizer": "sgd"}, ValueError, "fit optimizer must be an autograd_lite.optim one"),
        ({"loss": lambda a, y: 1.0}, ValueError, "fit loss must return a Value, got float"),
    ],
)
def test_bad_arguments_raise_and_change_nothing(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    mlp = MLP(1, [2, 1], seed=0)
    before = data_of(mlp)
    args: dict[str, object] = {"xs": [[1.0]], "ys": [[1.0]], "epochs": 1, "progress": False}
    args.update(kwargs)
    with pytest.raises(error, match=message):
        fit(mlp, **args)  # type: ignore[arg-type]
    assert data_of(mlp) == before


def test_a_non_finite_loss_names_the_epoch_and_keeps_theta_finite() -> None:
    mlp = MLP(1, [1], output_activation="linear", seed=0)
    mlp.layers[0].neurons[0].w[0].data = 1.0
    # x = 1e150: J = ½z² ≈ 5e299 is finite, the step w −= 1·1e300 is too, but then z² overflows
    with pytest.raises(DivergenceError, match="non-finite in epoch 2 of 5") as error:
        fit(mlp, [[1e150]], [[0.0]], optimizer=SGD(mlp.parameters(), lr=1.0), epochs=5,
            progress=False)
    assert isinstance(error.value, ValueError)  # so the cli prints one line
    assert all(math.isfinite(p.data) for p in mlp.parameters())


def test_a_non_finite_gradient_names_the_epoch_and_takes_no_step() -> None:
    mlp = MLP(1, [1], output_activation="linear", seed=0)
    before = data_of(mlp)

    def sqrt_at_zero(outputs: list[Value], targets: list[float]) -> Value:
        return (outputs[0] - outputs[0]).sqrt()  # sqrt′(0) = inf, so ∂J/∂a = inf − inf

    with pytest.raises(DivergenceError, match=r"epoch 1 of 3 .* non-finite gradient nan"):
        fit(mlp, [[1.0]], [[0.0]], loss=sqrt_at_zero, epochs=3, progress=False)
    assert data_of(mlp) == before


# --- fit(..., compile=True) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("activation", "output", "loss", "batch_size", "make_optimizer"),
    [
        ("relu", "relu", half_squared_error, None, lambda p: SGD(p, lr=0.05)),
        ("relu", "linear", mse, 3, lambda p: Adam(p, lr=0.02)),  # a last batch of 1: 2 traces
        ("tanh", "sigmoid", half_squared_error, 4, lambda p: SGD(p, lr=0.1, momentum=0.9)),
        ("relu", "linear", binary_cross_entropy_with_logits, 5, lambda p: Adam(p, lr=0.03)),
    ],
)
def test_compiled_fit_trains_exactly_as_eager_fit(
    activation: str,
    output: str,
    loss: Callable[..., Value],
    batch_size: int | None,
    make_optimizer: Callable[[list[Value]], SGD | Adam],
) -> None:
    xs, ys = data.two_moons(n=10, noise=0.2, seed=3)
    runs = []
    for compile in (False, True):
        mlp = MLP(2, [5, 1], activation=activation, output_activation=output, seed=7)
        history = fit(
            mlp, xs, ys, loss=loss, optimizer=make_optimizer(mlp.parameters()),
            epochs=6, batch_size=batch_size, progress=False, compile=compile,
        )  # fmt: skip
        params = mlp.parameters()
        runs.append((history, [p.data for p in params], [p.grad for p in params]))
    assert runs[0] == runs[1]  # bit for bit: the same float operations in the same order


def test_compiled_fit_reports_divergence_as_eager_fit_does() -> None:
    for compile in (False, True):
        mlp = MLP(1, [1], output_activation="linear", seed=0)
        before = [p.data for p in mlp.parameters()]
        with pytest.raises(DivergenceError, match=r"epoch 1 of 3"):
            fit(
                mlp, [[1.0]], [[0.0]], loss=lambda a, y: (a[0] - a[0]).sqrt(),
                epochs=3, progress=False, compile=compile,
            )  # fmt: skip
        assert [p.data for p in mlp.parameters()] == before
        mlp.layers[0].neurons[0].w[0].data = 1.0
        with pytest.raises(DivergenceError, match="non-finite in epoch 2 of 5"):
            fit(mlp, [[1e150]], [[0.0]], optimizer=SGD(mlp.parameters(), lr=1.0), epochs=5,
                progress=False, compile=compile)  # fmt: skip
        assert all(math.isfinite(p.data) for p in mlp.parameters())


def _traced_calls(loss: Callable[..., Value], calls: list[bool]) -> Callable[..., Value]:
    """loss, noting for each call whether al.compile was tracing it."""
    from autograd_lite.core import tracehook

    def counted(outputs: list[Value], targets: list[float]) -> Value:
        calls.append(bool(tracehook.tracing))
        return loss(outputs, targets)

    return counted


def _train(compile: bool | None, loss: Callable[..., Value], **settings: object) -> tuple:  # type: ignore[type-arg]
    mlp = MLP(2, [3, 1], activation="tanh", seed=4)
    xs, ys = data.two_moons(n=6, noise=0.2, seed=1)
    kwargs = {} if compile is None else {"compile": compile}
    optimizer = SGD(mlp.parameters(), lr=0.1)
    history = fit(mlp, xs, ys, loss=loss, optimizer=optimizer, progress=False,
                  **{"epochs": 4, "batch_size": 4, **settings, **kwargs})  # type: ignore[arg-type]  # fmt: skip
    return history, [(p.data, p.grad) for p in mlp.parameters()]


def test_fit_compiles_by_default_each_batch_traced_once() -> None:
    calls: list[bool] = []
    compiled = _train(None, _traced_calls(lambda a, y: (a[0] - y[0]) ** 2, calls))
    assert calls == [True] * 6  # epoch 1 traced both batches (4 + 2 samples); then replays
    assert compiled == _train(False, lambda a, y: (a[0] - y[0]) ** 2)
    calls.clear()
    _train(None, _traced_calls(half_squared_error, calls))  # the library's: one trace per size
    assert calls == [True] * 6
    calls.clear()
    _train(None, _traced_calls(half_squared_error, calls), epochs=1)  # nothing to replay
    assert calls == [False] * 6


def _hinge(a: list[Value], y: list[float]) -> Value:
    return (1.0 - a[0]).relu() if y[0] == 1.0 else (1.0 + a[0]).relu()


@pytest.mark.parametrize(
    "loss",
    [
        _hinge,
        lambda a, y: (a[0] - 1.0) ** 2 if y[0] else a[0] * a[0],
        lambda a, y: (a[0] - 1.0) ** 2 if y[0] != 0.0 else a[0] * a[0],
        lambda a, y: (a[0] - int(y[0])) ** 2,
        lambda a, y: (a[0] - round(y[0])) ** 2,
        lambda a, y: (a[0] + 1.0) ** 2 if f"{y[0]:.0f}" == "0" else a[0].abs(),
        lambda a, y: {0.0: 3.0, 1.0: 1.0}[y[0]] * (a[0] - y[0]) ** 2,
        lambda a, y: (a[0] - y[0]) ** 2 if isinstance(y[0], float) else a[0],
    ],
    ids=["==", "bool", "!=", "int", "round", "format", "dict", "isinstance"],
)
def test_compiled_fit_gives_the_loss_its_targets_as_numbers(loss: Callable[..., Value]) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # and trains compiled: no CompileWarning
        compiled = _train(True, loss)
    assert compiled == _train(False, loss)


def test_fit_says_once_that_it_trains_eagerly_and_why() -> None:
    import warnings

    import numpy as np

    from autograd_lite.training import CompileWarning

    runs, said = [], []
    for compile in (True, False):
        mlp = MLP(2, [3, 1], activation="tanh", seed=4)
        mlp.layers[0].neurons[0].w[0].data = np.float32(0.25)  # eager mode converts it
        xs, ys = data.two_moons(n=6, noise=0.2, seed=1)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            history = fit(mlp, xs, ys, optimizer=SGD(mlp.parameters(), lr=0.1), epochs=3,
                          batch_size=4, progress=False, compile=compile)  # fmt: skip
        runs.append((history, [(p.data, p.grad) for p in mlp.parameters()]))
        said.append([str(w.message) for w in caught if issubclass(w.category, CompileWarning)])
    assert runs[0] == runs[1]
    assert said[1] == []  # compile=False: nothing to say
    (message,) = said[0]  # once, in one line naming the parameter and its kind of number
    assert re.fullmatch(r"fit trains eagerly from epoch 1 on: the data of the leaf Θ⁽²⁾₁₁ is "
                        r"float32 np\.float32\(0\.25\), set by hand; [^\n]*", message)


def test_fit_never_raises_where_eager_fit_would_not(monkeypatch: pytest.MonkeyPatch) -> None:
    from autograd_lite.compiler import compiled
    from autograd_lite.training import CompileWarning

    def broken(self: object, *args: object) -> float:
        raise RuntimeError("a bug of the generated code")

    monkeypatch.setattr(compiled.Compiled, "__call__", broken)
    with pytest.warns(CompileWarning, match=r"from epoch 1 on: al\.compile failed on a step "
                      r"\(RuntimeError: a bug of the generated code\)") as said:  # fmt: skip
        compiled_run = _train(True, half_squared_error)
    assert len(said) == 1
    assert compiled_run == _train(False, half_squared_error)


# --- predict and r_squared -----------------------------------------------------------------


def test_predict_returns_floats_and_builds_no_graph() -> None:
    mlp = MLP(2, [3, 2], seed=0)
    out = predict(mlp, [[1.0, 2.0], [0.0, -1.0]])
    assert out == [[a.data for a in mlp(x)] for x in ([1.0, 2.0], [0.0, -1.0])]
    assert all(type(v) is float for row in out for v in row)
    with pytest.raises(ValueError, match=r"predict: xs\[0\]\[0\] needs a finite number, got nan"):
        predict(mlp, [[math.nan, 1.0]])


def test_r_squared() -> None:
    ys = [1.0, 2.0, 3.0, 4.0]
    assert r_squared(ys, ys) == 1.0
    assert r_squared(ys, [2.5] * 4) == 0.0
    assert r_squared(ys, [1.0, 2.0, 3.0, 5.0]) == pytest.approx(1 - 1 / 5)
    with pytest.raises(ValueError, match="as many targets as predictions, got 4 targets and 1"):
        r_squared(ys, [1.0])
    with pytest.raises(ValueError, match="not all equal"):
        r_squared([1.0, 1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="at least two targets"):
        r_squared([1.0], [1.0])


# --- data ----------------------------------------------------------------------------------


def test_quadratic_is_the_forum_data() -> None:
    xs, ys = data.quadratic()
    assert xs == [float(x) for x in range(20)]
    assert ys == [3.0 * x * x + 3.0 * x for x in range(20)]
    assert ys[-1] == 1140.0


def test_xor() -> None:
    xs, ys = data.xor()
    assert [(x1, x2, y) for (x1, x2), y in zip(xs, ys)] == [
        (0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (1.0, 0.0, 1.0), (1.0, 1.0, 0.0)
    ]


def test_two_moons_without_noise_lies_on_the_two_half_circles() -> None:
    points, labels = data.two_moons(n=11, noise=0.0)
    assert len(points) == 11 and labels.count(0.0) == 6 and labels.count(1.0) == 5
    for (x1, x2), label in zip(points, labels):
        if label == 0.0:
            assert math.hypot(x1, x2) == pytest.approx(1.0) and x2 >= -1e-12
        else:
            assert math.hypot(x1 - 1.0, x2 - 0.5) == pytest.approx(1.0) and x2 <= 0.5 + 1e-12


def test_two_moons_is_reproducible_by_seed() -> None:
    assert data.two_moons(50, 0.1, seed=3) == data.two_moons(50, 0.1, seed=3)
    assert data.two_moons(50, 0.1, seed=3) != data.two_moons(50, 0.1, seed=4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: data.two_moons(n=1), "two_moons n must be a whole number ≥ 2, got 1"),
        (lambda: data.two_moons(n=2.5), "two_moons n must be a whole number"),  # type: ignore[arg-type]
        (lambda: data.two_moons(noise=-0.1), "noise ≥ 0, got -0.1"),
        (lambda: data.two_moons(noise=math.nan), "two_moons noise needs a finite number, got nan"),
        (lambda: data.standardize([1.0]), "at least two numbers"),
        (lambda: data.standardize([2.0, 2.0, 2.0]), "not all equal"),
        (lambda: data.standardize([1.0, math.inf]), r"values\[1\] needs a finite number, got inf"),
    ],
)
def test_data_errors(call: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_standardize_gives_mean_0_std_1_and_an_inverse() -> None:
    values = [3.0, 7.0, 8.0, 10.0, 22.0]
    t, transform, inverse = data.standardize(values)
    assert sum(t) / len(t) == pytest.approx(0.0, abs=1e-15)
    assert math.sqrt(sum(v * v for v in t) / len(t)) == pytest.approx(1.0)
    assert [transform(v) for v in values] == t
    assert [inverse(v) for v in t] == pytest.approx(values, abs=1e-12)
    assert transform(10.0) > transform(8.0)  # maps new values the same way


def test_a_step_that_would_overflow_theta_names_the_epoch_and_changes_nothing() -> None:
    mlp = MLP(1, [1], output_activation="linear", seed=0)
    before = data_of(mlp)
    with pytest.raises(DivergenceError, match=r"epoch 1 of 1 .*would become -?inf"):
        fit(mlp, [[1e150]], [[0.0]], optimizer=SGD(mlp.parameters(), lr=1e10), epochs=1,
            progress=False)
    assert data_of(mlp) == before


@pytest.mark.parametrize(
    "call",
    [
        lambda: fit(MLP(1, [1], seed=0), [[10**400]], [[1.0]], progress=False),
        lambda: data.standardize([1, 10**400]),
        lambda: data.standardize([1e308, -1e308, 1e308]),
        lambda: data.two_moons(10, noise=10**400),
    ],
    ids=["fit", "standardize-int", "standardize-spread", "two_moons"],
)
def test_numbers_too_big_for_a_float_are_value_errors(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_importing_the_package_loads_no_progress_bar_or_plotting(tmp_path: Path) -> None:
    # fit imports tqdm when it runs; `import autograd_lite` stays light.
    code = (
        "import sys, autograd_lite\n"
        "print(sorted(m for m in ('tqdm', 'matplotlib', 'graphviz') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True, cwd=tmp_path)
    assert result.stdout.strip() == "[]"
