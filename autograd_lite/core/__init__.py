"""The engine: what a learner reads first.

  engine.py      Value, the op table OPS (each op's value and local derivatives, side by
                 side), and the backward pass
  codegen.py     the rule language of OPS, and the code generated from it
  nary.py        how a node is made (apply, node), and the n-ary ops total, dot, affine
  functional.py  grad, hessian, gradcheck
  modes.py       no_grad, enable_grad, detect_anomaly
  collector.py   no_gc: the garbage collector paused while a graph is built
  validation.py  the input checks every module shares
  tracehook.py   what the engine reports to an al.compile trace

Nothing here imports anything above core/.
"""
