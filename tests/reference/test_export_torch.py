"""al.export against PyTorch itself: the same losses, gradients and training, proven equal.

For every activation, every loss and both optimizers, on random networks and data: the
loss and every parameter's gradient equal ours to 1e-12 relative in float64, and N
steps of training side by side keep every weight within 1e-10. `torch_source`'s code runs
as written and trains as `fit` does; `from_torch` brings a network back; `al.jacobian`
in both modes equals torch.func's.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import autograd_lite as al  # noqa: E402
from autograd_lite.nn import MLP  # noqa: E402
from autograd_lite.nn.losses import (  # noqa: E402
    binary_cross_entropy_with_logits,
    half_squared_error,
    mse,
)
from autograd_lite.nn.optim import SGD, Adam  # noqa: E402

ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "linear"]
LOSSES = {
    "half_squared_error": (half_squared_error, lambda a, y: 0.5 * ((a - y) ** 2).sum()),
    "mse": (mse, lambda a, y: ((a - y) ** 2).mean()),
    "bce_with_logits": (
        binary_cross_entropy_with_logits,
        lambda a, y: torch.nn.functional.binary_cross_entropy_with_logits(a, y, reduction="sum"),
    ),
}
OPTIMIZERS = {
    "sgd": (lambda ps: SGD(ps, lr=0.05), lambda ps: torch.optim.SGD(ps, lr=0.05)),
    "sgd_momentum": (
        lambda ps: SGD(ps, lr=0.05, momentum=0.9),
        lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9),
    ),
    "adam": (
        lambda ps: Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
        lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.9, 0.999), eps=1e-8),
    ),
}


def close(a: float, b: float, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300) or abs(a - b) <= 1e-300


def our_params(mlp: MLP) -> list[float]:
    return [p.data for p in mlp.parameters()]


def torch_params(net: Any) -> list[float]:
    """The Sequential's parameters in our order: neuron by neuron, its w then its b."""
    out: list[float] = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            for row, b in zip(module.weight.tolist(), module.bias.tolist()):
                out.extend([*row, b])
    return out


def torch_grads(net: Any) -> list[float]:
    out: list[float] = []
    for module in net:
        if isinstance(module, torch.nn.Linear):
            for row, b in zip(module.weight.grad.tolist(), module.bias.grad.tolist()):
                out.extend([*row, b])
    return out


def batch_J_ours(mlp: MLP, loss: Any, xs: list[list[float]], ys: list[list[float]]) -> Any:
    return al.total([loss(mlp(x), y) for x, y in zip(xs, ys)]) * (1.0 / len(xs))


def batch_J_torch(net: Any, loss: Any, xs: list[list[float]], ys: list[list[float]]) -> Any:
    bx, by = torch.tensor(xs, dtype=torch.float64), torch.tensor(ys, dtype=torch.float64)
    return sum(loss(a, y) for a, y in zip(net(bx), by)) * (1.0 / len(bx))


@st.composite
def problems(draw: Any) -> tuple[MLP, list[list[float]], list[list[float]], str]:
    nin = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    nout = draw(st.integers(1, 2))
    hidden = draw(st.sampled_from(ACTIVATIONS[:-1]))
    output = draw(st.sampled_from(ACTIVATIONS))
    mlp = MLP(nin, [*widths, nout], activation=hidden, output_activation=output,
              seed=draw(st.integers(0, 2**16)))  # fmt: skip
    n = draw(st.integers(1, 5))
    number = st.floats(-2.0, 2.0, allow_nan=False)
    xs = draw(st.lists(st.lists(number, min_size=nin, max_size=nin), min_size=n, max_size=n))
    loss_name = draw(st.sampled_from(sorted(LOSSES)))
    target = st.floats(0.0, 1.0) if loss_name == "bce_with_logits" else number
    ys = draw(st.lists(st.lists(target, min_size=nout, max_size=nout), min_size=n, max_size=n))
    return mlp, xs, ys, loss_name


@settings(max_examples=60, deadline=None)
@given(problems())
def test_loss_and_every_gradient_equal_torchs_in_float64(problem: Any) -> None:
    mlp, xs, ys, loss_name = problem
    ours_loss, torch_loss = LOSSES[loss_name]
    net = al.export.torch(mlp)
    assert torch_params(net) == our_params(mlp)  # copied exactly
    J = batch_J_ours(mlp, ours_loss, xs, ys)
    J.backward()
    T = batch_J_torch(net, torch_loss, xs, ys)
    T.backward()
    assert close(J.data, T.item(), 1e-12), (J.data, T.item())
    for ours, theirs in zip([p.grad for p in mlp.parameters()], torch_grads(net)):
        assert close(ours, theirs, 1e-12) or abs(ours - theirs) <= 1e-15, (ours, theirs)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("loss_name", sorted(LOSSES))
@pytest.mark.parametrize("activation", ACTIVATIONS[:-1])
def test_n_steps_side_by_side_keep_every_weight_within_1e_10(
    activation: str, loss_name: str, optimizer: str
) -> None:
    ours_loss, torch_loss = LOSSES[loss_name]
    output = "linear" if loss_name == "bce_with_logits" else activation
    mlp = MLP(2, [4, 3, 2], activation=activation, output_activation=output, seed=7)
    xs = [[math.sin(i), math.cos(3 * i)] for i in range(6)]
    ys = [[(i % 2) * 1.0, ((i + 1) % 3 == 0) * 1.0] for i in range(6)]
    net = al.export.torch(mlp)
    ours, theirs = OPTIMIZERS[optimizer][0](mlp.parameters()), OPTIMIZERS[optimizer][1](
        net.parameters()
    )
    history = al.fit(mlp, xs, ys, ours_loss, ours, epochs=25, batch_size=4, progress=False)
    torch_history = []
    for _ in range(25):
        total = 0.0
        for start in range(0, 6, 4):
            theirs.zero_grad()
            J = batch_J_torch(net, torch_loss, xs[start : start + 4], ys[start : start + 4])
            J.backward()
            theirs.step()
            total += J.item() * len(xs[start : start + 4])
        torch_history.append(total / 6)
    for a, b in zip(our_params(mlp), torch_params(net)):
        assert abs(a - b) <= 1e-10, (a, b)
    assert all(close(a, b, 1e-10) for a, b in zip(history, torch_history))


def test_float32_rounds_each_weight_to_the_nearest_float32() -> None:
    mlp = MLP(3, [4, 2], seed=3)
    net = al.export.torch(mlp, dtype="float32")
    assert all(p.dtype == torch.float32 for p in net.parameters())
    rounded = [torch.tensor(w, dtype=torch.float32).item() for w in our_params(mlp)]
    assert torch_params(net) == rounded
    x = [0.3, -0.2, 0.9]
    assert net(torch.tensor([x])).tolist()[0] == pytest.approx([a.data for a in mlp(x)],
                                                               rel=1e-6)  # fmt: skip


@pytest.mark.parametrize("activation", ACTIVATIONS[:-1])
def test_round_trip_gives_back_the_same_network(activation: str) -> None:
    mlp = MLP(3, [5, 4, 2], activation=activation, output_activation="sigmoid", seed=11)
    back = al.export.from_torch(al.export.torch(mlp))
    assert repr(back) == repr(mlp)
    assert our_params(back) == our_params(mlp)
    assert [a.data for a in back([0.1, 0.2, 0.3])] == [a.data for a in mlp([0.1, 0.2, 0.3])]


@pytest.mark.parametrize(
    ("module", "words"),
    [
        (lambda: torch.nn.Linear(2, 3), "needs a torch.nn.Sequential"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3, bias=False)),
         "layer 0 (Linear) has no bias"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)),
         "layer 1 (Linear) takes 4 inputs after a layer of 3"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.GELU()),
         "layer 1 (GELU) is not supported"),
        (lambda: torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(2, 3)),
         "layer 0 (ReLU) is not supported"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.ReLU()),
         "layer 2 (ReLU) is not supported"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.LeakyReLU(0.2)),
         "layer 1 (LeakyReLU) has negative_slope 0.2"),
        (lambda: torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 3),
                                     torch.nn.Tanh(), torch.nn.Linear(3, 1)),
         "hidden layers share one activation"),
        (lambda: torch.nn.Sequential(), "has no Linear layer"),
    ],
)  # fmt: skip
def test_from_torch_refuses_what_our_mlp_cannot_express_naming_the_layer(
    module: Any, words: str
) -> None:
    with pytest.raises((TypeError, ValueError), match=re.escape(words)):
        al.export.from_torch(module())


def test_from_torch_refuses_a_non_finite_weight() -> None:
    net = torch.nn.Sequential(torch.nn.Linear(2, 1))
    with torch.no_grad():
        net[0].weight[0, 1] = float("nan")
    with pytest.raises(ValueError, match="non-finite"):
        al.export.from_torch(net)


@pytest.mark.parametrize(
    ("optimizer", "loss"),
    [
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9), half_squared_error),
        (lambda ps: Adam(ps, lr=0.01), mse),
        (lambda ps: SGD(ps, lr=0.1), binary_cross_entropy_with_logits),
    ],
)
def test_torch_source_runs_as_written_and_trains_as_fit_does(
    optimizer: Any, loss: Any, tmp_path: Any
) -> None:
    mlp = MLP(2, [3, 2], activation="leaky_relu", output_activation="linear", seed=5)
    xs = [[0.5, -1.0], [1.5, 0.25], [-0.75, 0.5]]
    ys = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    source = al.export.torch_source(mlp, optimizer(mlp.parameters()), loss, epochs=20,
                                    batch_size=2)  # fmt: skip
    script = tmp_path / "train.py"
    script.write_text(
        source + f"\n\nprint(repr(train(Net(), {xs!r}, {ys!r})))\n", encoding="utf-8"
    )
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=120, check=True)  # fmt: skip
    torch_history = [float(x) for x in run.stdout.strip().strip("[]").split(",")]
    history = al.fit(mlp, xs, ys, loss, optimizer(mlp.parameters()), epochs=20, batch_size=2,
                     progress=False)  # fmt: skip
    assert len(torch_history) == 20
    assert all(close(a, b, 1e-10) for a, b in zip(history, torch_history)), (history, torch_history)


def test_jacobian_in_both_modes_equals_torch_func() -> None:
    def f(x: Any, y: Any) -> list[Any]:
        return [(x * y).tanh() + x.exp(), (x - y) ** 2 * 0.5, (x + 1.0).log() * y]

    def g(t: Any) -> Any:
        x, y = t[0], t[1]
        return torch.stack([torch.tanh(x * y) + torch.exp(x), (x - y) ** 2 * 0.5,
                            torch.log(x + 1.0) * y])  # fmt: skip

    point = (0.7, -0.4)
    expected = torch.func.jacrev(g)(torch.tensor(point, dtype=torch.float64)).tolist()
    for mode in ("reverse", "forward"):
        ours = al.jacobian(f, argnums=(0, 1), mode=mode)(*point)
        dx, dy = ours  # one matrix per argument, a number's matrix one column wide
        rows = [[dx[i][0], dy[i][0]] for i in range(3)]
        for row, want in zip(rows, expected):
            assert all(close(a, b, 1e-12) for a, b in zip(row, want)), (mode, rows, expected)
