"""autograd-lite: a scalar reverse-mode autodiff engine for learning backpropagation."""

from .engine import (
    Value,
    detect_anomaly,
    dot,
    enable_grad,
    is_grad_enabled,
    no_grad,
    sum,
    topological_order,
)
from .functional import GradcheckError, grad, gradcheck, hessian

__all__ = [
    "GradcheckError",
    "Value",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "grad",
    "gradcheck",
    "hessian",
    "is_grad_enabled",
    "no_grad",
    "sum",
    "topological_order",
]
__version__ = "0.1.0"
