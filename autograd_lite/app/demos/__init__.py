"""The two stories behind `autograd-lite demo` and `autograd-lite regression`.

- `seed.py`: `run_demo`, the seed question: how is Θ⁽²⁾ (input → ReLU hidden layer)
  updated in a 2-2-2 ReLU network trained on J = Σ ½(a⁽³⁾ − y)²? Its settings (the example
  `DEMO_X`, the data `demo_dataset`, `DEMO_LR`, `DEMO_EPOCHS`) are notebook 01's too.
- `regression.py`: `run_regression`, the forum question "My network with a ReLU output
  layer predicts 0 on y = 3x² + 3x, x = 0..19. Why?", and its fixes. Its settings
  (`FORUM_HIDDEN`, `FORUM_LR`, `FIX_LR`, `REGRESSION_STEPS`) are notebook 02's too.
- `report.py`: the argument checks and number formats both share.
- `plots.py`: their matplotlib figures (matplotlib is imported only when one is drawn).

Each story is a short `run_*` function that calls its named steps in order. Both print to
stdout, show a progress bar on stderr (unless progress=False), write images into `out`,
and return what they printed as a dataclass (the tests read it).
"""

from .regression import (
    FIX_LR,
    FORUM_HIDDEN,
    FORUM_LR,
    R2_TARGET,
    REGRESSION_STEPS,
    RegressionResult,
    run_regression,
)
from .seed import (
    DEMO_EPOCHS,
    DEMO_LR,
    DEMO_X,
    DemoResult,
    demo_dataset,
    demo_target,
    label_units,
    run_demo,
    seed_loss,
)

__all__ = [
    "DEMO_EPOCHS",
    "DEMO_LR",
    "DEMO_X",
    "FIX_LR",
    "FORUM_HIDDEN",
    "FORUM_LR",
    "R2_TARGET",
    "REGRESSION_STEPS",
    "DemoResult",
    "RegressionResult",
    "demo_dataset",
    "demo_target",
    "label_units",
    "run_demo",
    "run_regression",
    "seed_loss",
]
