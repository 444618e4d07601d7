"""autograd-lite: a scalar reverse-mode autodiff engine for learning backpropagation."""

import sys as _sys

from . import nn
from .compiler.compiled import compile
from .core.collector import no_gc
from .core.custom import define_function, define_op, undefine_op
from .core.engine import Value, topological_order
from .core.forward import jacobian, jvp
from .core.functional import GradcheckError, grad, gradcheck, hessian
from .core.modes import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .core.nary import dot, total
from .core.validation import is_finite_number
from .learn import exercises, lab
from .nn import data, export, losses, manual, optim
from .training import fit

# Modules a learner reaches from the top, which live in folders: data, losses, manual and
# optim lived at the top before the package had folders, and user code imports them from
# there (`from autograd_lite.losses import mse`); the lab and the exercises (learn/) are
# where a learner looks first (`import autograd_lite.lab`). The top-level paths name the
# folders' modules, so both spellings give the same module object.
for _module in (data, losses, manual, optim, exercises, lab):
    _sys.modules[f"{__name__}.{_module.__name__.rsplit('.', 1)[1]}"] = _module



def __getattr__(name: str) -> object:
    # Σ of Values is `al.total`, one name: called `sum`, it would replace the builtin in
    # `from autograd_lite import *` and in every module that imports it by name.
    if name == "sum":
        raise AttributeError("autograd_lite has no sum: Σ of Values is al.total(terms)")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "GradcheckError",
    "Value",
    "compile",
    "data",
    "define_function",
    "define_op",
    "detect_anomaly",
    "dot",
    "enable_grad",
    "exercises",
    "export",
    "fit",
    "grad",
    "gradcheck",
    "hessian",
    "is_finite_number",
    "is_grad_enabled",
    "jacobian",
    "jvp",
    "lab",
    "losses",
    "manual",
    "nn",
    "no_gc",
    "no_grad",
    "optim",
    "topological_order",
    "total",
    "undefine_op",
]
__version__ = "0.1.0"
