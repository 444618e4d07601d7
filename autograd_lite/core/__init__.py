"""The engine: what a learner reads first.

  engine.py          Value, the rule table RULES (each op's value and local derivatives,
                     side by side), the ops OPS, and the backward pass
  _ops_generated.py  the code generated from RULES: Value's op methods, each op's functions
  rules.py           the rule language: Rule, Op, and the helpers a rule may call
  codegen.py         the generator of _ops_generated.py (`make regen`)
  nary.py            how a node is made (apply, node), and the n-ary ops total, dot, affine
  functional.py      grad, hessian, gradcheck
  modes.py           no_grad, enable_grad, detect_anomaly
  collector.py       no_gc: the garbage collector paused while a graph is built
  validation.py      the input checks every module shares
  tracehook.py       what the engine reports to an al.compile trace

Nothing here imports anything above core/ (codegen.py's `main` writes through atomic.py).
"""

from . import nary as nary  # binds the names the generated methods call (see nary.py)
