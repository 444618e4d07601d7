"""`al.compile`: trace a function once, replay its forward and backward passes as code
generated from the engine's own op rules.

  compiled.py  al.compile and its contract: when a replay is trusted, what runs eagerly
  tape.py      tracing: one call of f written down as a tape, with its guards
  ruleexpr.py  an op's rule as code for a flavour (Python floats, NumPy arrays)
  pycode.py    the Python flavour: straight-line forward and backward code
  npcode.py    the NumPy flavour: the same tape over a batch of samples (step.sum)
  repeats.py   the repeat finder: a loss summed over alike samples becomes a loop
  names.py     the names of the generated code's variables

(The folder is not called `compile`: a subpackage of that name would replace the
function `autograd_lite.compile` the moment it was imported.)
"""
