"""Neural networks on the engine, and what trains them.

  modules.py     Module, Neuron, Layer, MLP: micrograd's shape, textbook labels
  losses.py      half_squared_error (J = Σ ½(a − y)²), mse, binary_cross_entropy_with_logits
  optim.py       SGD (with momentum) and Adam, all-or-nothing steps
  data.py        data sets (two moons, y = 3x² + 3x) and standardizing
  model_file.py  the JSON model file and the limits of a load
  notation.py    the labels Θ⁽ˡ⁾ⱼₖ, z⁽ˡ⁾ⱼ, a⁽ˡ⁾ⱼ
  manual.py      the textbook δ equations in plain floats, to check the engine against

`from autograd_lite.nn import MLP` gives the modules' classes; the other files are
submodules (`autograd_lite.nn.losses`, also reachable as `al.losses`).
"""

from . import data, losses, manual, model_file, modules, notation, optim
from .modules import *  # noqa: F403  (Module, Neuron, Layer, MLP, ...: modules.__all__)

__all__ = [*modules.__all__, "data", "losses", "manual", "model_file", "notation", "optim"]
