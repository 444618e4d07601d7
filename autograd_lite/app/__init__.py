"""The `autograd-lite` command and what it runs.

  cli.py    the command line: demo, regression, draw
  draw.py   `draw`: an expression parsed with ast against an allow-list, then drawn
  demos/    the stories the commands tell: the seed network, the ReLU regression
"""
