"""al.export without PyTorch: torch stays optional, and what needs no torch works.

The comparisons with PyTorch itself are in tests/reference/test_export_torch.py
(`make test-reference`). Here: importing autograd_lite (and al.export) never imports
torch; a call that needs it says how to install the CPU build; the mapping and the
source code need no torch; bad input is refused naming the part.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from typing import Any

import pytest

import autograd_lite as al
from autograd_lite.nn import MLP
from autograd_lite.nn.losses import half_squared_error, mse
from autograd_lite.nn.optim import SGD, Adam

HIDE_TORCH = "import sys; sys.modules['torch'] = None\n"  # import torch raises ImportError


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)  # fmt: skip


def test_importing_the_package_and_export_never_imports_torch() -> None:
    done = run("import sys, autograd_lite as al\nal.export.mapping(al.nn.MLP(2, [2, 1]))\n"
               "print('torch' in sys.modules)")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("call", ["al.export.torch(mlp)", "al.export.from_torch(object())"])
def test_without_torch_the_call_says_how_to_install_its_cpu_build(call: str) -> None:
    done = run(HIDE_TORCH + f"import autograd_lite as al\nmlp = al.nn.MLP(2, [2, 1])\n{call}")
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: autograd_lite.export needs PyTorch")
    assert "CPU" in last and "pip install torch==" in last and "make test-reference" in last
    assert "http" not in last  # no registry's host name


def test_the_mapping_is_written_in_our_notation_for_each_layer() -> None:
    mlp = MLP(2, [2, 2], activation="relu", output_activation="leaky_relu")
    assert al.export.mapping(mlp).splitlines() == [
        "Θ⁽²⁾ⱼₖ = mlp.layers[0].neurons[j−1].w[k−1]  ↔  net[0].weight[j−1, k−1]"
        "   (j = 1…2, k = 1…2: Linear(2, 2), then ReLU)",
        "b⁽²⁾ⱼ  = mlp.layers[0].neurons[j−1].b     ↔  net[0].bias[j−1]",
        "Θ⁽³⁾ⱼₖ = mlp.layers[1].neurons[j−1].w[k−1]  ↔  net[2].weight[j−1, k−1]"
        "   (j = 1…2, k = 1…2: Linear(2, 2), then LeakyReLU)",
        "b⁽³⁾ⱼ  = mlp.layers[1].neurons[j−1].b     ↔  net[2].bias[j−1]",
    ]


def test_a_linear_layer_takes_one_place_in_the_sequential() -> None:
    mlp = MLP(1, [3, 3, 1], activation="tanh", output_activation="linear")
    lines = al.export.mapping(mlp).splitlines()
    assert [line.split("↔")[1].split(".")[0].strip() for line in lines[::2]] == [
        "net[0]", "net[2]", "net[4]",
    ]  # fmt: skip
    assert lines[-2].endswith("then nothing (linear))")


def literal_lists(source: str) -> list[Any]:
    """Every list literal passed to torch.tensor in the source, as Python numbers."""
    found = []
    for node in ast.walk(ast.parse(source)):
        call = isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "tensor"
        if call and node.args and isinstance(node.args[0], ast.List):  # type: ignore[attr-defined]
            found.append(ast.literal_eval(node.args[0]))  # type: ignore[attr-defined]
    return found


def test_the_source_parses_and_holds_our_weights_exactly() -> None:
    mlp = MLP(3, [4, 2], seed=1)
    source = al.export.torch_source(mlp)
    ast.parse(source)
    weights = literal_lists(source)
    rows = []
    for layer in mlp.layers:
        rows.append([[w.data for w in n.w] for n in layer.neurons])
        rows.append([n.b.data for n in layer.neurons])
    assert weights == rows  # repr of a float reads back as the same float


@pytest.mark.parametrize(
    ("optimizer", "made", "replaces"),
    [
        (lambda ps: SGD(ps, lr=0.05, momentum=0.9),
         "torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)", "# ours: SGD.step"),
        (lambda ps: Adam(ps, lr=0.002, betas=(0.8, 0.99), eps=1e-07),
         "torch.optim.Adam(net.parameters(), lr=0.002, betas=(0.8, 0.99), eps=1e-07)",
         "# ours: Adam.step"),
    ],
)  # fmt: skip
def test_the_training_loop_uses_the_same_optimizer_and_notes_our_lines(
    optimizer: Any, made: str, replaces: str
) -> None:
    mlp = MLP(2, [2, 1])
    source = al.export.torch_source(mlp, optimizer(mlp.parameters()), mse, epochs=7,
                                    batch_size=3)  # fmt: skip
    assert f"optimizer = {made}" in source
    assert "optimizer.step()  " + replaces in source
    assert "J.backward()  # ours: J.backward()" in source
    assert "for epoch in range(7):" in source and "range(0, len(xs), 3)" in source
    assert "((a - y) ** 2).mean()" in source


def test_fits_default_optimizer_is_the_sources_default() -> None:
    source = al.export.torch_source(MLP(2, [1]))
    assert "torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.0)" in source
    assert "0.5 * ((a - y) ** 2).sum()" in source


@pytest.mark.parametrize(
    ("call", "error", "words"),
    [
        (lambda m: al.export.torch("model"), TypeError, "export.torch exports an autograd_lite"),
        (lambda m: al.export.mapping(3), TypeError, "export.mapping exports"),
        (lambda m: al.export.torch(m, dtype="float16"), ValueError, "dtype must be one of"),
        (lambda m: al.export.torch_source(m, loss=lambda a, y: a[0]), ValueError,
         "knows the losses half_squared_error"),
        (lambda m: al.export.torch_source(m, optimizer=object()), ValueError, "knows SGD and Adam"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_part(call: Any, error: type, words: str) -> None:
    with pytest.raises(error, match=words):
        call(MLP(2, [2, 1]))


def test_a_parameter_set_by_hand_to_a_bool_is_refused_naming_it() -> None:
    mlp = MLP(2, [2, 1])
    mlp.layers[0].neurons[1].w[0].data = True  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"export: parameter Θ"):
        al.export.torch_source(mlp, loss=half_squared_error)
