"""Every entry point takes the numbers the engine takes: NumPy arrays and NumPy scalars
included (issue 10 item 11, issue 15 item 4). NumPy is only a test dependency here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograd_lite.core.engine import Value
from autograd_lite.nn import MLP, Layer, Neuron, data, manual
from autograd_lite.nn.losses import binary_cross_entropy_with_logits, half_squared_error, mse
from autograd_lite.nn.optim import SGD, Adam
from autograd_lite.training import fit, predict, r_squared

np = pytest.importorskip("numpy")


def outputs(values: list[Value]) -> list[float]:
    return [a.data for a in values]


def test_mlp_layer_and_neuron_take_numpy_arrays_and_scalars() -> None:
    mlp = MLP(2, [3, 1], seed=0)
    expected = outputs(mlp([0.25, 2.0]))
    assert outputs(mlp(np.array([0.25, 2.0]))) == expected
    assert outputs(mlp(np.array([0.25, 2.0], dtype=np.float32))) == expected  # both exact
    assert outputs(mlp([np.float64(0.25), np.int64(2)])) == expected
    assert outputs(mlp((0.25, 2))) == expected
    layer, neuron = mlp.layers[0], mlp.layers[0].neurons[0]
    assert outputs(layer(np.array([0.25, 2.0]))) == outputs(layer([0.25, 2.0]))
    assert neuron(np.array([0.25, 2.0])).data == neuron([0.25, 2.0]).data
    with pytest.raises(ValueError, match="MLP input 1 needs a finite number, got nan"):
        mlp(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="MLP expects 2 inputs, got 3"):
        mlp(np.zeros(3))


def test_sizes_and_seeds_may_be_numpy_integers() -> None:
    mlp = MLP(np.int64(2), np.array([3, 1]), seed=np.int64(4))
    assert (mlp.nin, mlp.nouts, mlp.seed) == (2, [3, 1], 4)
    assert all(type(n) is int for n in (mlp.nin, *mlp.nouts))
    same = MLP(2, [3, 1], seed=4)
    assert [p.data for p in mlp.parameters()] == [p.data for p in same.parameters()]
    assert len(Layer(np.int32(2), np.int32(2)).neurons) == 2
    assert len(Neuron(np.int8(3)).w) == 3


def test_fit_takes_finite_float32_samples() -> None:
    xs = [[0.5, -1.0], [1.0, 0.25], [-0.25, 0.75]]
    ys = [[1.0], [0.0], [0.5]]
    plain = MLP(2, [3, 1], seed=0)
    expected = fit(plain, xs, ys, epochs=3, progress=False)
    for as_numpy in (
        lambda v: np.array(v, dtype=np.float32),  # 2-D arrays of samples
        lambda v: [[np.float32(x) for x in row] for row in v],  # lists of float32 scalars
    ):
        model = MLP(2, [3, 1], seed=0)
        assert fit(model, as_numpy(xs), as_numpy(ys), epochs=3, progress=False) == expected
        assert [p.data for p in model.parameters()] == [p.data for p in plain.parameters()]
    one_input = MLP(1, [1], seed=0)
    history = fit(one_input, np.arange(4, dtype=np.float32), np.ones(4), epochs=2, progress=False)
    assert len(history) == 2
    assert predict(one_input, np.arange(2.0)) == predict(one_input, [0.0, 1.0])
    with pytest.raises(ValueError, match=r"fit: xs\[1\]\[0\] needs a finite number, got inf"):
        fit(MLP(1, [1]), np.array([[1.0], [np.inf]], dtype=np.float32), [1.0, 2.0])


@pytest.mark.parametrize("loss", [half_squared_error, mse, binary_cross_entropy_with_logits])
def test_losses_take_numpy_targets(loss: object) -> None:
    a = [Value(0.25), Value(-1.0)]
    expected = loss(a, [1.0, 0.0]).data  # type: ignore[operator]
    assert loss(a, np.array([1.0, 0.0])).data == expected  # type: ignore[operator]
    assert loss(a, [np.float32(1.0), np.int64(0)]).data == expected  # type: ignore[operator]


def test_manual_data_and_r_squared_take_numpy() -> None:
    mlp = MLP(2, [3, 2], activation="tanh", seed=0)
    x, y = [0.5, -1.0], [1.0, 0.0]
    assert manual.backprop(mlp, np.array(x), np.array(y)) == manual.backprop(mlp, x, y)
    values = [3.0, 7.0, 8.0, 10.0, 22.0]
    assert data.standardize(np.array(values))[0] == data.standardize(values)[0]
    assert r_squared(np.array(values), np.array(values)) == 1.0
    assert data.two_moons(np.int64(10), np.float64(0.1)) == data.two_moons(10, 0.1)


def test_optimizers_take_numpy_hyperparameters() -> None:
    p = Value(1.0)
    p.grad = 2.0
    SGD([p], lr=np.float32(0.5)).step()
    assert p.data == 0.0
    adam = Adam([p], lr=np.float64(0.1), betas=np.array([0.9, 0.999]), eps=np.float64(1e-8))
    assert adam.betas == (0.9, 0.999) and all(type(b) is float for b in adam.betas)


def test_relu_activity_takes_an_array_of_samples() -> None:
    mlp = MLP(2, [3, 1], seed=0)
    samples = [[0.5, -1.0], [1.0, 0.25]]
    assert mlp.relu_activity(np.array(samples)) == mlp.relu_activity(samples)


def test_the_package_does_not_need_numpy(tmp_path: Path) -> None:
    code = "import sys, autograd_lite; print('numpy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True, cwd=tmp_path)
    assert result.stdout.strip() == "False"
