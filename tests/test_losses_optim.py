"""losses (J) and optim (θ := update(θ, ∂J/∂θ))."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

import autograd_lite as al
from autograd_lite.core.engine import Value
from autograd_lite.nn.losses import binary_cross_entropy_with_logits, half_squared_error, mse
from autograd_lite.nn.optim import SGD, Adam

LOSSES = [half_squared_error, mse, binary_cross_entropy_with_logits]


# --- losses --------------------------------------------------------------------------------


def test_half_squared_error_is_sum_of_halves_and_its_gradient_is_a_minus_y() -> None:
    a = [Value(3.0), Value(-1.0), Value(0.25)]
    y = [1.0, 1.0, 0.75]
    J = half_squared_error(a, y)
    assert J.data == 0.5 * 4.0 + 0.5 * 4.0 + 0.5 * 0.25
    J.backward()
    assert [v.grad for v in a] == [2.0, -2.0, -0.5]  # exactly a − y


def test_half_squared_error_is_one_sum_node() -> None:
    J = half_squared_error([Value(1.0), Value(2.0), Value(3.0)], [0.0, 0.0, 0.0])
    assert J.op == "sum" and len(J.inputs) == 3


def test_mse_is_the_mean_over_outputs() -> None:
    a = [Value(3.0), Value(-1.0)]
    J = mse(a, [1.0, 1.0])
    assert J.data == (4.0 + 4.0) / 2
    J.backward()
    assert [v.grad for v in a] == [2.0, -2.0]  # 2(a − y)/n
    assert any(isinstance(x, Value) and x.op == "sum" for x in J.inputs)


@pytest.mark.parametrize("z", [-800.0, -30.0, -1.5, 0.0, 0.7, 30.0, 800.0])
@pytest.mark.parametrize("y", [0.0, 0.3, 1.0])
def test_binary_cross_entropy_value_and_gradient(z: float, y: float) -> None:
    logit = Value(z)
    J = binary_cross_entropy_with_logits([logit], [y])
    softplus = max(z, 0.0) + math.log1p(math.exp(-abs(z)))  # log(1 + e^z), computed stably
    assert J.data == pytest.approx(softplus - y * z, rel=1e-12, abs=1e-12)
    J.backward()
    sigmoid = 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))
    assert logit.grad == pytest.approx(sigmoid - y, abs=1e-12)


def test_binary_cross_entropy_gradient_at_zero_is_one_half_minus_y() -> None:
    # a formula with relu or abs would give −y here (their derivative at 0 is 0)
    logit = Value(0.0)
    binary_cross_entropy_with_logits([logit], [1.0]).backward()
    assert logit.grad == -0.5


def two_formula_cross_entropy(z: float, y: float) -> tuple[float, float]:
    """(J, ∂J/∂z) by the stable two-formula softplus, chosen by z's sign in Python."""
    logit = Value(z)
    softplus = logit + ((-logit).exp() + 1.0).log() if z >= 0.0 else (logit.exp() + 1.0).log()
    J = softplus - y * logit
    J.backward()
    return J.data, logit.grad


@given(st.floats(-750.0, 750.0), st.sampled_from([0.0, 0.3, 1.0]))
def test_binary_cross_entropy_agrees_with_the_two_formula_softplus(z: float, y: float) -> None:
    logit = Value(z)
    J = binary_cross_entropy_with_logits([logit], [y])
    J.backward()
    value, slope = two_formula_cross_entropy(z, y)
    assert J.data == value  # the same bits: ½z + ½|z| is z or 0 exactly
    assert logit.grad == pytest.approx(slope, rel=1e-12, abs=1e-12)


def test_compiled_binary_cross_entropy_equals_eager_on_both_signs() -> None:
    # A Python branch on z.data would be traced at z = 2 and replayed for z < 0 too.
    step = al.compile(lambda z, y: binary_cross_entropy_with_logits([z], [y]))
    for z, y in [(2.0, 1.0), (-1.5, 0.0), (-0.3, 1.0), (0.0, 0.3), (37.0, 0.0), (-800.0, 1.0)]:
        compiled, eager = Value(z), Value(z)
        J = step(compiled, y)
        expected = binary_cross_entropy_with_logits([eager], [y])
        expected.backward()
        assert (J, compiled.grad) == (expected.data, eager.grad)
    assert step.traces == 1


def test_binary_cross_entropy_needs_targets_in_0_1() -> None:
    with pytest.raises(ValueError, match=r"targets in \[0, 1\], got 2.0 at index 1"):
        binary_cross_entropy_with_logits([Value(0.0), Value(1.0)], [1.0, 2.0])
    check_targets = binary_cross_entropy_with_logits.check_targets  # type: ignore[attr-defined]
    check_targets([[0.0, 1.0], [0.5, 0.25]])  # every sample's targets at once
    with pytest.raises(ValueError, match=r"got -0.5 at index 1 of sample 2"):
        check_targets([[0.0, 1.0], [0.5, 0.25], [1.0, -0.5]])


@pytest.mark.parametrize("compiled", [False, True])
def test_fit_checks_every_target_of_the_loss_before_training(compiled: bool) -> None:
    from autograd_lite.nn import MLP

    xs = [[0.1, 0.2], [0.3, -0.1], [0.5, 0.5], [-0.2, 0.4]]
    ys = [0.0, 1.0, 1.0, 7.0]  # 7 is no probability; the first batch's targets are
    model = MLP(2, [3, 1], seed=0)
    before = [p.data for p in model.parameters()]
    with pytest.raises(ValueError, match=r"got 7.0 at index 0 of sample 3"):
        al.fit(model, xs, ys, loss=binary_cross_entropy_with_logits, epochs=3, batch_size=2,
               progress=False, compile=compiled)
    assert [p.data for p in model.parameters()] == before  # not one step taken


@pytest.mark.parametrize("loss", LOSSES)
def test_length_mismatch_raises(loss: Callable[..., Value]) -> None:
    with pytest.raises(ValueError, match=f"{loss.__name__} needs as many outputs as targets, "
                       "got 2 outputs and 3 targets"):
        loss([Value(0.0), Value(1.0)], [0.0, 1.0, 1.0])


@pytest.mark.parametrize("loss", LOSSES)
def test_empty_and_non_finite_are_refused(loss: Callable[..., Value]) -> None:
    with pytest.raises(ValueError, match="at least one output"):
        loss([], [])
    with pytest.raises(ValueError, match=f"{loss.__name__} target 0 needs a finite number"):
        loss([Value(0.0)], [math.nan])
    with pytest.raises(TypeError, match=r"needs targets as a list of numbers, got float 1\.0"):
        loss([Value(0.0)], 1.0)
    with pytest.raises(TypeError, match="output 1 needs a real number, got str 'a'"):
        loss([Value(0.0), "a"], [1.0, 1.0])


# --- optimizers ----------------------------------------------------------------------------


def params_with_grads(data: list[float], grads: list[float]) -> list[Value]:
    ps = [Value(d) for d in data]
    for p, g in zip(ps, grads):
        p.grad = g
    return ps


def test_sgd_plain_step_is_exactly_theta_minus_alpha_grad() -> None:
    data, grads, lr = [0.3, -1.7, 2.0], [0.1, -0.25, 3.3], 0.07
    ps = params_with_grads(data, grads)
    SGD(ps, lr=lr).step()
    assert [p.data for p in ps] == [d - lr * g for d, g in zip(data, grads)]


def test_sgd_momentum_accumulates_velocity() -> None:
    (p,) = params_with_grads([1.0], [2.0])
    opt = SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # v = 2
    assert p.data == 1.0 - 0.1 * 2.0
    p.grad = 1.0
    opt.step()  # v = 0.9·2 + 1 = 2.8
    assert p.data == pytest.approx(1.0 - 0.1 * 2.0 - 0.1 * 2.8, abs=1e-15)


def reference_adam(
    theta: float, grads: list[float], lr: float, b1: float, b2: float, eps: float
) -> float:
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        theta -= lr * (m / (1 - b1**t)) / (math.sqrt(v / (1 - b2**t)) + eps)
    return theta


def test_adam_follows_the_textbook_update() -> None:
    grads = [0.5, -0.2, 0.1, 0.4]
    (p,) = params_with_grads([1.0], [0.0])
    opt = Adam([p], lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    for g in grads:
        p.grad = g
        opt.step()
    assert p.data == pytest.approx(reference_adam(1.0, grads, 0.01, 0.8, 0.99, 1e-6), abs=1e-15)


def test_adam_really_uses_eps() -> None:
    # First step: m̂ = g, √v̂ = |g|, so the step is lr·g/(|g| + eps). With g = 1, eps = 1 it is
    # lr/2; ignoring eps would give lr.
    (p,) = params_with_grads([0.0], [1.0])
    Adam([p], lr=0.1, eps=1.0).step()
    assert p.data == pytest.approx(-0.05, abs=1e-12)


def test_adam_with_zero_gradient_stays_finite() -> None:
    (p,) = params_with_grads([0.5], [0.0])
    Adam([p]).step()
    assert p.data == 0.5


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps)])
def test_zero_grad_zeroes_the_parameters(make: Callable[[list[Value]], SGD | Adam]) -> None:
    ps = params_with_grads([1.0, 2.0], [3.0, 4.0])
    make(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr=0.0), r"SGD lr must be in \(0, inf\), got 0.0"),
        (lambda ps: SGD(ps, lr=-0.1), "SGD lr must be in .*got -0.1"),
        (lambda ps: SGD(ps, lr=math.nan), "SGD lr needs a finite number, got nan"),
        (lambda ps: SGD(ps, lr=math.inf), "SGD lr needs a finite number, got inf"),
        (lambda ps: SGD(ps, lr=0.1, momentum=-0.1), r"SGD momentum must be in \[0, 1\)"),
        (lambda ps: SGD(ps, lr=0.1, momentum=1.0), "SGD momentum .*got 1.0"),
        (lambda ps: Adam(ps, lr=0.0), "Adam lr must be in"),
        (lambda ps: Adam(ps, betas=(1.0, 0.999)), r"Adam β₁ \(betas\[0\]\) must be in \[0, 1\)"),
        (lambda ps: Adam(ps, betas=(0.9, -0.1)), r"Adam β₂ \(betas\[1\]\) .*got -0.1"),
        (lambda ps: Adam(ps, betas=(0.9, 1.5)), "Adam β₂ .*got 1.5"),
        (lambda ps: Adam(ps, betas=(0.9,)), r"Adam expects 2 betas \(β₁, β₂\), got 1"),
        (lambda ps: Adam(ps, eps=0.0), r"Adam eps must be in \(0, inf\), got 0.0"),
        (lambda ps: Adam(ps, eps=-1e-8), "Adam eps"),
    ],
)
def test_bad_hyperparameters_raise_valueerror(
    make: Callable[[list[Value]], object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        make([Value(1.0)])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda ps: SGD(ps, lr="0.1"), "SGD lr needs a real number, got str '0.1'"),
        (lambda ps: SGD(ps, lr=True), "SGD lr needs a real number, got bool True"),
        (lambda ps: Adam(ps, betas=0.9), r"Adam needs betas \(β₁, β₂\) as a list of 2 numbers"),
    ],
)
def test_hyperparameters_of_the_wrong_kind_raise_typeerror(
    make: Callable[[list[Value]], object], message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        make([Value(1.0)])


def test_bad_parameter_lists_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one parameter"):
        SGD([], lr=0.1)
    with pytest.raises(TypeError, match="parameter 1 must be a Value"):
        SGD([Value(1.0), 2.0], lr=0.1)  # type: ignore[list-item]
    with pytest.raises(TypeError, match="single Value"):
        Adam(Value(1.0))  # type: ignore[arg-type]
    a = Value(1.0)
    with pytest.raises(ValueError, match="parameter 1 is listed twice"):
        SGD([a, a], lr=0.1)
    with pytest.raises(ValueError, match=r"parameter 0 is made by the op \*, not a leaf"):
        SGD([a * 2.0], lr=0.1)


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=0.1), lambda ps: Adam(ps)])
def test_a_non_finite_gradient_changes_no_parameter(
    make: Callable[[list[Value]], SGD | Adam],
) -> None:
    ps = params_with_grads([1.0, 2.0], [0.5, math.inf])
    opt = make(ps)
    with pytest.raises(ValueError, match="parameter 1 has a non-finite gradient inf"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0]


def test_sgd_refuses_a_step_that_would_make_a_parameter_infinite_and_changes_nothing() -> None:
    a, b = Value(1.0), Value(1e308)
    a.grad, b.grad = -1.0, -1e308
    changed_nothing = "no parameter and no optimizer state was changed"
    with pytest.raises(ValueError, match=rf"parameter 1 would become inf.*{changed_nothing}"):
        SGD([a, b], lr=1.0).step()
    assert (a.data, b.data) == (1.0, 1e308)


def test_adam_refuses_a_step_whose_second_moment_would_overflow_and_changes_nothing() -> None:
    p = Value(0.5)
    adam = Adam([p], lr=0.1)
    p.grad = 1e160  # finite, but (1 − β₂)·g² is not
    with pytest.raises(ValueError, match="would overflow its state v"):
        adam.step()
    assert p.data == 0.5 and adam.t == 0 and adam.m == [0.0] and adam.v == [0.0]


@pytest.mark.parametrize("bad", [10**400, -(10**400)])
def test_a_huge_int_hyperparameter_is_a_value_error(bad: int) -> None:
    with pytest.raises(ValueError, match="SGD lr"):
        SGD([Value(1.0)], lr=bad)


def test_losses_refuse_a_huge_int_target_with_a_value_error() -> None:
    with pytest.raises(ValueError):
        half_squared_error([Value(1.0)], [10**400])


# --- a step that would make θ non-finite (issue 24 §2) ----------------------------------

OPTIMIZERS: dict[str, Callable[[list[Value]], SGD | Adam]] = {
    "SGD": lambda ps: SGD(ps, lr=0.1),
    "SGD with momentum": lambda ps: SGD(ps, lr=0.1, momentum=0.9),
    "Adam": lambda ps: Adam(ps, lr=0.1),
}
#: (what is set by hand on parameter 1, labelled w2: (data, grad); what the refusal says)
BAD_STEPS = {
    "gradient inf": ((2.0, math.inf), "has a non-finite gradient inf"),
    "gradient -inf": ((2.0, -math.inf), "has a non-finite gradient -inf"),
    "gradient nan": ((2.0, math.nan), "has a non-finite gradient nan"),
    "gradient 10**400": ((2.0, 10**400), "has a non-finite gradient an int of 1,329 bits"),
    "data nan": ((math.nan, 0.125), "has data nan, not a finite number"),
    "data inf": ((math.inf, 0.125), "has data inf, not a finite number"),
    # finite, but θ − α·g (SGD) or Adam's v = β₂v + (1 − β₂)g² overflows
    "a step that overflows": ((1.7e308, -1e308), "would "),
}


def warmed_up(make: Callable[[list[Value]], SGD | Adam]) -> tuple[list[Value], SGD | Adam]:
    """Three labelled parameters and their optimizer after two steps: state not zero."""
    ps = [Value(v, label=f"w{i + 1}") for i, v in enumerate([0.5, -1.5, 2.0])]
    optimizer = make(ps)
    for grads in ([0.25, -0.5, 1.0], [0.125, 0.75, -0.25]):
        for p, g in zip(ps, grads):
            p.grad = g
        optimizer.step()
    return ps, optimizer


def everything(ps: list[Value], optimizer: SGD | Adam) -> str:
    """Every parameter's data and grad and all optimizer state, bit for bit (repr: a NaN
    equals itself here)."""
    state = {name: getattr(optimizer, name) for name in ("velocity", "m", "v", "t", "lr")
             if hasattr(optimizer, name)}  # fmt: skip
    return repr(([(p.data.hex(), p.grad) for p in ps], state))


@pytest.mark.parametrize("bad", BAD_STEPS)
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_a_step_that_would_make_a_parameter_non_finite_is_refused_and_changes_nothing(
    name: str, bad: str
) -> None:
    (data, grad), says = BAD_STEPS[bad]
    ps, optimizer = warmed_up(OPTIMIZERS[name])
    twin_ps, twin = warmed_up(OPTIMIZERS[name])
    kept = ps[1].data, ps[1].grad
    ps[1].data, ps[1].grad = data, grad
    before = everything(ps, optimizer)

    with pytest.raises(ValueError) as refused:
        optimizer.step()

    message = str(refused.value)
    assert message.startswith(f"{type(optimizer).__name__}.step: parameter 1 (w2) ")
    assert says in message
    shown = "an int of 1,329 bits" if isinstance(grad, int) else repr(grad)
    assert f"gradient {shown}" in message or f"gradient is {shown}" in message, message
    assert message.endswith("no parameter and no optimizer state was changed")
    assert len(message) < 250
    assert everything(ps, optimizer) == before
    # nothing hidden changed either: put back what was there, and the next step is the
    # step of an optimizer that never saw the refusal, bit for bit
    ps[1].data, ps[1].grad = kept
    optimizer.step()
    twin.step()
    assert everything(ps, optimizer) == everything(twin_ps, twin)


def test_adam_names_the_parameter_whose_second_moment_would_overflow() -> None:
    ps, adam = warmed_up(OPTIMIZERS["Adam"])
    ps[2].grad = 1e160  # θ − α·m̂/(√v̂ + ε) is finite, but g² is not
    before = everything(ps, adam)
    with pytest.raises(ValueError) as refused:
        adam.step()
    assert str(refused.value).startswith(
        "Adam.step: parameter 2 (w3) would overflow its state v[2] to inf from its gradient 1e+160"
    )
    assert everything(ps, adam) == before


def test_a_refused_step_names_an_unlabelled_parameter_by_its_place() -> None:
    ps = [Value(1.0), Value(1.7e308)]
    ps[1].grad = -1e308
    with pytest.raises(ValueError, match=r"^SGD\.step: parameter 1 would become inf from its "
                       r"gradient -1e\+308 \(a smaller learning rate may help\)"):
        SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == [1.0, 1.7e308]


@pytest.mark.parametrize("make", [lambda ps: SGD(ps, lr=1e10), lambda ps: Adam(ps, lr=1e308)])
def test_a_step_that_would_overflow_a_parameter_is_refused_naming_it(
    make: Callable[[list[Value]], SGD | Adam],
) -> None:
    ps = params_with_grads([1e300, 1.0], [-1e300, 0.5])
    ps[0].label = "b⁽³⁾₁"
    opt = make(ps)
    with pytest.raises(ValueError, match=r"parameter 0 \(b⁽³⁾₁\) would become (-?inf|nan) "
                                         r"from its gradient -1e\+300"):
        opt.step()
    assert [p.data for p in ps] == [1e300, 1.0]
