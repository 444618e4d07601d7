"""Learning by doing: the misconception lab and the graded exercises.

  lab.py        `al.lab.compare(root, variant)`: a wrong backward pass beside the engine's,
                where it first goes wrong and why (the variants live in variants.py)
  exercises.py  `al.exercises.check(n, your_function)`: a ladder of four exercises,
                graded by the engine and gradcheck

Neither imports graphviz until it draws.
"""

from __future__ import annotations

from . import exercises, lab

__all__ = ["exercises", "lab"]
