"""Draw the README's two pictures into notebooks/figures/, as portable SVG (letters drawn as shapes,
so they look the same in every viewer, whatever fonts it has):

- `seed_graph.svg`: the computation graph of the seed network's J at the demo's example, as
  `autograd-lite demo` draws it (out/seed_graph.svg), after backward();
- `backward_frames.svg`: the backward pass of the README's first example,
  a = relu(x·w + b) at x = 0.5, w = −1, b = 2, one frame per node in the order backward()
  visits them (`viz.backward_frames`), in a strip;
- `explorer.png`: the seed network's explorer page (`viz.explore`) in headless Chromium,
  at backward's step 6, as the README's first screen shows it.

Run from the repository root, after `make test` has made the venv:

    .venv/bin/python notebooks/build_figures.py

`tests/test_readme.py` checks the README's sentences about them against these graphs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from autograd_lite import Value, viz
from autograd_lite.atomic import write_bytes
from autograd_lite.app.demos import seed_loss
from autograd_lite.nn import MLP

HERE = Path(__file__).resolve().parent / "figures"


def seed_graph() -> tuple[MLP, Value]:
    """(mlp, J): the seed network's J at DEMO_X, labelled as the demo draws it, after
    backward()."""
    mlp, _, _, J = seed_loss()
    return mlp, J


def readme_example() -> Value:
    """a = relu(x·w + b) at x = 0.5, w = −1, b = 2, the README's first example, labelled."""
    x, w, b = Value(0.5, "x"), Value(-1.0, "w"), Value(2.0, "b")
    xw = x * w
    xw.label = "xw"
    z = xw + b
    z.label = "z"
    a = z.relu()
    a.label = "a"
    return a


def explorer_screenshot(mlp: MLP, J: Value) -> bytes:
    """The seed network's explorer at backward's step 6, as a PNG (the tests' Chromium)."""
    sys.path.insert(0, str(HERE.parents[1] / "tests"))
    from browser import chromium_driver

    driver = chromium_driver((1100, 1000))
    try:
        with tempfile.TemporaryDirectory() as folder:
            page = viz.explore(J, params=mlp).save(Path(folder) / "seed.html")
            driver.get(page.as_uri())
            driver.execute_script("window.alExplorer.show(5)")
            png: bytes = driver.get_screenshot_as_png()
    finally:
        driver.quit()
    return png


def main() -> None:
    mlp, J = seed_graph()
    frames = viz.backward_frames(readme_example())
    written = [
        viz.save_graph(J, HERE / "seed_graph.svg", params=mlp, portable=True),
        write_bytes(
            HERE / "backward_frames.svg",
            viz.frame_strip(viz.frame_images(frames), columns=3, scale=0.75),
        ),
        write_bytes(HERE / "explorer.png", explorer_screenshot(mlp, J)),
    ]
    for path in written:
        print(f"wrote {path.relative_to(HERE.parent)} ({path.stat().st_size / 1e3:.0f} kB)")


if __name__ == "__main__":
    main()
