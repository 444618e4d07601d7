"""autograd-lite: a scalar reverse-mode autodiff engine for learning backpropagation."""

from . import data, losses, manual, nn, optim
from .engine import (
    Value,
    detect_anomaly,
    dot,
    enable_grad,
    is_finite_number,
    is_grad_enabled,
    no_grad,
    sum,
    topological_order,
)
from .functional import GradcheckError, grad, gradcheck, hessian
from .training import fit

__all__ = [
    "GradcheckError",
    "Value",
    "data",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "fit",
    "grad",
    "gradcheck",
    "hessian",
    "is_finite_number",
    "is_grad_enabled",
    "losses",
    "manual",
    "nn",
    "no_grad",
    "optim",
    "sum",
    "topological_order",
]
__version__ = "0.1.0"
