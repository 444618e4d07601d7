"""Optimizers: turn ∂J/∂θ (each parameter's `grad`) into an update of θ (its `data`).

    SGD:   θ := θ − α ∂J/∂θ            (momentum μ > 0: v := μv + ∂J/∂θ, θ := θ − αv)
    Adam:  m := β₁m + (1 − β₁)∂J/∂θ,  v := β₂v + (1 − β₂)(∂J/∂θ)²,
           θ := θ − α m̂ / (√v̂ + ε),  with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ)

Call `zero_grad()` before each `backward()`: parameters are leaves, and leaves accumulate.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .engine import Value

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
        """Updates every θ from its ∂J/∂θ."""
        raise NotImplementedError

    def _check_grads(self) -> None:
        # One inf or nan would spread to every θ it touches: refuse before changing any.
        for i, p in enumerate(self.params):
            if not math.isfinite(p.grad):
                name = f" ({p.label})" if p.label else ""
                raise ValueError(
                    f"{type(self).__name__}.step: parameter {i}{name} has a non-finite "
                    f"gradient {p.grad!r}; no parameter was changed"
                )


class SGD(Optimizer):
    """Gradient descent: θ := θ − α ∂J/∂θ, with α = lr (and optional momentum μ)."""

    def __init__(self, params: Iterable[Value], lr: float, momentum: float = 0.0) -> None:
        self.lr = _hyper(lr, "SGD lr", low=0.0, low_open=True)
        self.momentum = _hyper(momentum, "SGD momentum", low=0.0, high=1.0)
        super().__init__(params, "SGD")
        self.velocity = [0.0] * len(self.params)

    def step(self) -> None:
        """θ := θ − α ∂J/∂θ (plain), or v := μv + ∂J/∂θ; θ := θ − αv (momentum)."""
        self._check_grads()
        if self.momentum == 0.0:
            for p in self.params:
                p.data -= self.lr * p.grad
            return
        for i, p in enumerate(self.params):
            self.velocity[i] = self.momentum * self.velocity[i] + p.grad
            p.data -= self.lr * self.velocity[i]


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
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"Adam betas must be a pair (β₁, β₂), got {betas!r}")
        self.betas = (
            _hyper(betas[0], "Adam β₁ (betas[0])", low=0.0, high=1.0),
            _hyper(betas[1], "Adam β₂ (betas[1])", low=0.0, high=1.0),
        )
        # ε > 0 keeps m̂/(√v̂ + ε) finite when a gradient is exactly 0 from the start.
        self.eps = _hyper(eps, "Adam eps", low=0.0, low_open=True)
        super().__init__(params, "Adam")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self) -> None:
        """θ := θ − α m̂ / (√v̂ + ε) for every parameter; t := t + 1."""
        self._check_grads()
        beta1, beta2 = self.betas
        self.t += 1
        # The bias corrections undo the pull of m = v = 0 towards 0 in the first steps.
        correction1 = 1.0 - beta1**self.t
        correction2 = 1.0 - beta2**self.t
        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i] = beta1 * self.m[i] + (1.0 - beta1) * g
            self.v[i] = beta2 * self.v[i] + (1.0 - beta2) * g * g
            m_hat = self.m[i] / correction1
            v_hat = self.v[i] / correction2
            p.data -= self.lr * m_hat / (math.sqrt(v_hat) + self.eps)


def _hyper(
    x: object, name: str, *, low: float, high: float = math.inf, low_open: bool = False
) -> float:
    """x as a float in [low, high) (or (low, high) if low_open), else ValueError naming it."""
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise ValueError(f"{name} must be a number, got {x!r}")
    f = float(x)
    too_low = f <= low if low_open else f < low
    if not math.isfinite(f) or too_low or f >= high:
        bracket = "(" if low_open else "["
        raise ValueError(f"{name} must be in {bracket}{low:g}, {high:g}), got {x!r}")
    return f
