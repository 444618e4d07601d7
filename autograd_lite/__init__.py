"""autograd-lite: a scalar reverse-mode autodiff engine for learning backpropagation."""

from . import data, losses, manual, nn, optim
from .collector import no_gc
from .compiled import compile
from .engine import Value, topological_order
from .functional import GradcheckError, grad, gradcheck, hessian
from .modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .nodes import dot, total
from .training import fit
from .validation import is_finite_number

#: `al.sum(terms)` is `al.total(terms)`. It is left out of `__all__`, so that
#: `from autograd_lite import *` does not replace the builtin `sum`.
sum = total

__all__ = [
    "GradcheckError",
    "Value",
    "compile",
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
    "no_gc",
    "no_grad",
    "optim",
    "topological_order",
    "total",
]
__version__ = "0.1.0"
