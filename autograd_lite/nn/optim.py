"""Optimizers: turn ∂J/∂θ (each parameter's `grad`) into an update of θ (its `data`).

    SGD:   θ := θ − α ∂J/∂θ            (momentum μ > 0: v := μv + ∂J/∂θ, θ := θ − αv)
    Adam:  m := β₁m + (1 − β₁)∂J/∂θ,  v := β₂v + (1 − β₂)(∂J/∂θ)²,
           θ := θ − α m̂ / (√v̂ + ε),  with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)

Call `zero_grad()` before each `backward()`: parameters are leaves, and leaves accumulate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NoReturn

from ..atomic import assign
from ..core.engine import Value
from ..core.validation import as_list, is_finite_number, real_number

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """The parameters θ to update, checked once: Values that are leaves, each listed once."""

    def __init__(self, params: Iterable[Value], name: str) -> None:
        if isinstance(params, Value):
            raise TypeError(f"{name} needs a list of parameters, got a single Value {params!r}")
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{name} needs at least one parameter, got an empty list")
        seen: set[Value] = set()
        for i, p in enumerate(self.params):
            if not isinstance(p, Value):
                raise TypeError(f"{name} parameter {i} must be a Value, got {p!r}")
            if p.inputs:
                # Setting the data of a computed node would not change what it is computed from.
                raise ValueError(f"{name} parameter {i} is made by the op {p.op}, not a leaf")
            if p in seen:
                raise ValueError(f"{name} parameter {i} is listed twice: {p!r}")
            seen.add(p)

    def zero_grad(self) -> None:
        """Sets ∂J/∂θ := 0 for every parameter."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Updates every θ from its ∂J/∂θ, all or nothing.

        All new values are worked out first and checked: a θ or a gradient that is not a
        finite number (NaN, ±inf, 10**400, a string: set by hand), or a θ (or an
        optimizer state such as Adam's v) that would overflow to ±inf, raises ValueError
        naming the parameter (its place and label) and its gradient, before anything
        changes. Then every θ and every piece of state (SGD's velocity; Adam's m, v and
        t) is set in one `atomic.assign`, which a Ctrl-C cannot split: after a
        KeyboardInterrupt the optimizer and its parameters are exactly as before the
        step or exactly as after it.
        """
        self._check_parameters()
        new_data, new_state = self._proposed_step()
        for i, d in enumerate(new_data):
            if not math.isfinite(d):
                self._refuse(
                    i, f"would become {d!r} from its gradient {_shown(self.params[i].grad)} "
                    "(a smaller learning rate may help)"
                )
        for state_name, values in new_state.items():
            if isinstance(values, list):
                for i, value in enumerate(values):
                    if not math.isfinite(value):
                        self._refuse(
                            i, f"would overflow its state {state_name}[{i}] to {value!r} from "
                            f"its gradient {_shown(self.params[i].grad)}"
                        )
        # Everything is worked out and checked above; the commit is one call that a Ctrl-C
        # cannot split, and that undoes itself if an assignment fails (see atomic.assign).
        params = self.params
        assign(
            [*params, *[self] * len(new_state)],
            ["data"] * len(params) + list(new_state),
            [*new_data, *new_state.values()],
        )

    def _proposed_step(self) -> tuple[list[float], dict[str, object]]:
        """(the new θ for every parameter, the optimizer's new state by attribute name),
        changing nothing."""
        raise NotImplementedError

    def _check_parameters(self) -> None:
        # One inf or nan would spread to every θ it touches: refuse before changing any.
        # A θ or a gradient set by hand may be anything; a step computes with floats only.
        for i, p in enumerate(self.params):
            if not is_finite_number(p.grad):
                self._refuse(i, f"has a non-finite gradient {_shown(p.grad)}")
            if not is_finite_number(p.data):
                self._refuse(
                    i, f"has data {_shown(p.data)}, not a finite number (was it set by hand?); "
                    f"its gradient is {_shown(p.grad)}"
                )

    def _refuse(self, i: int, what: str) -> NoReturn:
        """ValueError: parameter i (and its label) `what`; nothing was changed."""
        raise ValueError(
            f"{type(self).__name__}.step: parameter {i}{_named(self.params[i])} {what}; "
            "no parameter and no optimizer state was changed"
        )


def _named(p: Value) -> str:
    return f" ({p.label})" if p.label else ""


def _shown(x: object) -> str:
    """repr(x) cut at 60 characters (an int too long to print, by its size)."""
    if isinstance(x, int) and x.bit_length() > 190:
        return f"{'a negative' if x < 0 else 'an'} int of {x.bit_length():,} bits"
    text = repr(x)
    return text if len(text) <= 60 else text[:59] + "…"


class SGD(Optimizer):
    """Gradient descent: θ := θ − α ∂J/∂θ, with α = lr (and optional momentum μ)."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        self.lr = _hyper(lr, "SGD lr", low=0.0, low_open=True)
        self.momentum = _hyper(momentum, "SGD momentum", low=0.0, high=1.0)
        super().__init__(params, "SGD")
        self.velocity = [0.0] * len(self.params)

    def _proposed_step(self) -> tuple[list[float], dict[str, object]]:
        """θ := θ − α ∂J/∂θ (plain), or v := μv + ∂J/∂θ; θ := θ − αv (momentum)."""
        if self.momentum == 0.0:
            return [p.data - self.lr * p.grad for p in self.params], {}
        velocity = [self.momentum * v + p.grad for v, p in zip(self.velocity, self.params)]
        new_data = [p.data - self.lr * v for p, v in zip(self.params, velocity)]
        return new_data, {"velocity": velocity}


class Adam(Optimizer):
    """Adam: θ := θ − α m̂ / (√v̂ + ε), from running means of ∂J/∂θ and (∂J/∂θ)²."""

    def __init__(
        self,
        params: Iterable[Value],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        self.lr = _hyper(lr, "Adam lr", low=0.0, low_open=True)
        beta1, beta2 = as_list(betas, "Adam", "betas (β₁, β₂)", 2)
        self.betas = (
            _hyper(beta1, "Adam β₁ (betas[0])", low=0.0, high=1.0),
            _hyper(beta2, "Adam β₂ (betas[1])", low=0.0, high=1.0),
        )
        # ε > 0 keeps m̂/(√v̂ + ε) finite when a gradient is exactly 0 from the start.
        self.eps = _hyper(eps, "Adam eps", low=0.0, low_open=True)
        super().__init__(params, "Adam")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def _proposed_step(self) -> tuple[list[float], dict[str, object]]:
        """θ := θ − α m̂ / (√v̂ + ε) for every parameter; t := t + 1."""
        beta1, beta2 = self.betas
        t = self.t + 1
        # The bias corrections undo the pull of m = v = 0 towards 0 in the first steps.
        correction1 = 1.0 - beta1**t
        correction2 = 1.0 - beta2**t
        m = [beta1 * m_i + (1.0 - beta1) * p.grad for m_i, p in zip(self.m, self.params)]
        v = [beta2 * v_i + (1.0 - beta2) * p.grad * p.grad for v_i, p in zip(self.v, self.params)]
        new_data = [
            p.data - self.lr * (m_i / correction1) / (math.sqrt(v_i / correction2) + self.eps)
            for p, m_i, v_i in zip(self.params, m, v)
        ]
        return new_data, {"m": m, "v": v, "t": t}


def _hyper(
    x: object, name: str, *, low: float, high: float = math.inf, low_open: bool = False
) -> float:
    """x as a float in [low, high) (or (low, high) if low_open), else an error naming it."""
    f = real_number(x, name)  # TypeError for a non-number; ValueError for NaN, ±inf, 10**400
    too_low = f <= low if low_open else f < low
    if too_low or f >= high:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low:g}, {high:g}), got {x!r}")
    return f
