"""Build the notebooks in this folder from their sources, run them, and save them with outputs.

Regenerate them all (from the repository root, after `make test` has made the venv):

    .venv/bin/python notebooks/build_notebooks.py            # all notebooks
    .venv/bin/python notebooks/build_notebooks.py 01 03      # only those whose name starts so

Edit the sources, never the .ipynb files: `notebooks/sources/NN_name.py` is written in the
"percent" format. A line `# %%` starts a code cell; `# %% [markdown]` starts a markdown
cell, whose lines are written as comments (`# text`, or `#` for an empty line).

Each notebook is executed top to bottom in a fresh `python3` kernel (the one ipykernel
provides for the interpreter running this script), with the notebooks folder as the working
directory, and saved as `notebooks/NN_name.ipynb`. So that a rebuild changes as little as
possible, the saved file has:

- cell ids numbered in order, no execution timings, no widget state;
- no widget views (a saved notebook keeps no widget state, so a view would show an error
  in JupyterLab): each widget output is replaced by what it showed, as a still. A widget
  whose bundle carries a picture of its first state (`viz.frame_player`) keeps that
  picture; one that shows outputs in an Output widget (`ipywidgets.interactive`) keeps
  those outputs; a tqdm progress bar becomes its final line (without its timings); any
  other widget a note to run the cell in Jupyter. So a notebook opened unexecuted, in
  JupyterLab (untrusted), in nbconvert's HTML or a static viewer, shows pictures;
- the per-process kernel temp path in messages (`/tmp/ipykernel_1234/5678.py:3`, the
  "file" of a notebook cell) written as `<cell>:3`, and no memory addresses in the plain-text
  fallback of rich outputs (`<graphviz.graphs.Digraph>`, not `... at 0x7f…>`);
- consecutive printed outputs merged into one (how a print is split varies).

The facts each notebook's prose states (which units are dead, the R² it quotes, that the
engine and the hand-derived gradients agree, ...) are asserted in its code cells, next to
the output they are read from: a rebuild that changes one fails loudly here, and the tests
(`pytest --nbmake notebooks`, run by `make test`) run the saved notebooks again from scratch.
The build also fails when a notebook runs for a minute or more or saves 2 MB or more, the
limits CI keeps to; `tests/test_notebooks.py` checks that the saved notebooks are built from
their current sources.
"""

from __future__ import annotations

import html
import re
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import find_kernel_specs
from nbclient import NotebookClient

from autograd_lite.atomic import write_bytes

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
KERNEL = "python3"
#: Seconds one cell may run, when built here and under nbmake (it reads the metadata).
CELL_TIMEOUT = 60
#: A whole notebook must run in less than this many seconds, and save to less than this size.
MAX_SECONDS = 60
MAX_BYTES = 2_000_000

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
KERNEL_TEMP_FILE = re.compile(r"(?:[A-Za-z]:)?[^\s()\"']*ipykernel_\d+[/\\]\d+\.py")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")  # the default repr: <graphviz.graphs.Digraph at 0x7f…>


def parse(source: str) -> list[nbformat.NotebookNode]:
    """The cells of a percent-format source."""
    cells: list[nbformat.NotebookNode] = []
    kind, lines = None, []

    def flush() -> None:
        text = "\n".join(lines).strip("\n")
        if kind == "markdown":
            cells.append(nbformat.v4.new_markdown_cell(text))
        elif kind == "code" and text:
            cells.append(nbformat.v4.new_code_cell(text))

    for line in source.splitlines():
        if line.startswith("# %%"):
            flush()
            kind, lines = ("markdown" if "[markdown]" in line else "code"), []
        elif kind == "markdown":
            if line and not line.startswith("#"):
                raise ValueError(f"markdown line without '#': {line!r}")
            lines.append(line[2:] if line.startswith("# ") else line[1:])
        elif kind == "code":
            lines.append(line)
    flush()
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i:02d}"
    return cells


def tqdm_text(model_id: str, state: dict) -> str | None:
    """The final line of a tqdm.notebook bar (an HBox [HTML, FloatProgress, HTML]), no timings."""
    box = state.get(model_id, {}).get("state", {})
    children = [c.removeprefix("IPY_MODEL_") for c in box.get("children", [])]
    if box.get("_model_name") != "HBoxModel" or len(children) != 3:
        return None
    left, bar, right = (state.get(c, {}).get("state", {}) for c in children)
    if bar.get("_model_name") != "FloatProgressModel":
        return None
    total, done = bar.get("max") or 0, bar.get("value") or 0
    blocks = round(10 * done / total) if total else 0

    def text(widget: dict) -> str:  # tqdm pads with figure spaces (U+2007)
        return html.unescape(widget.get("value", "")).replace("\u2007", " ")

    # left: "fit: 100%"; right: " 20/20 [00:01<00:00, 15.3epoch/s, loss=0.05]"
    count = re.match(r"\s*(\S+)", text(right))
    postfix = re.search(r"/s, (.*)\]", text(right))
    line = f"{text(left)}|{'█' * blocks}{' ' * (10 - blocks)}| {count.group(1) if count else ''}"
    return line + (f" [{postfix.group(1)}]" if postfix else "")


def captured_outputs(model_id: str, state: dict) -> list[dict]:
    """The outputs the Output widgets in widget `model_id` (and in its children) showed."""
    widget = state.get(model_id, {}).get("state", {})
    found = list(widget.get("outputs", [])) if widget.get("_model_name") == "OutputModel" else []
    for child in widget.get("children", []):
        found += captured_outputs(child.removeprefix("IPY_MODEL_"), state)
    return found


def widget_still(output: nbformat.NotebookNode, state: dict) -> list[nbformat.NotebookNode]:
    """What a widget output shows where no widget can run (see the module docstring)."""
    data = output["data"]
    model_id = data[WIDGET_VIEW]["model_id"]
    if "image/png" in data:  # the widget's own picture of its first state
        del data[WIDGET_VIEW]
        return [output]
    captured = captured_outputs(model_id, state)
    if captured:
        return [nbformat.from_dict(o) for o in captured]
    text = tqdm_text(model_id, state)
    output["data"] = {
        "text/plain": text or "[an interactive widget: run this cell in Jupyter to use it]"
    }
    return [output]


def tidy(nb: nbformat.NotebookNode) -> None:
    """Drop what changes from run to run (see the module docstring)."""
    state = nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        merged: list[nbformat.NotebookNode] = []  # how a print is split into messages varies
        for output in cell.outputs:
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        cell.outputs = [
            still
            for output in merged
            for still in (
                widget_still(output, state) if WIDGET_VIEW in output.get("data", {}) else [output]
            )
        ]
        for output in cell.outputs:
            data = output.get("data", {})
            for key in ("text", "evalue"):
                if isinstance(output.get(key), str):
                    output[key] = KERNEL_TEMP_FILE.sub("<cell>", output[key])
            if "text/plain" in data:
                text = KERNEL_TEMP_FILE.sub("<cell>", data["text/plain"])
                data["text/plain"] = ADDRESS.sub(">", text)


def notebook_cells(source: Path) -> list[nbformat.NotebookNode]:
    """The cells of notebooks/sources/<name>.py, as the built notebook has them."""
    return parse(source.read_text("utf-8"))


def build(source: Path) -> float:
    """Write notebooks/<source stem>.ipynb, executed; return the seconds it took to run.

    Raises (nbclient's CellExecutionError) when a cell fails, an assertion of a fact
    included, and RuntimeError when the notebook breaks the time or size limit.
    """
    nb = nbformat.v4.new_notebook()
    nb.cells = notebook_cells(source)
    nb.metadata = {
        "kernelspec": {
            "name": KERNEL,
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        },
        "language_info": {"name": "python"},
        "execution": {"timeout": CELL_TIMEOUT},
    }
    start = time.perf_counter()
    NotebookClient(
        nb,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        record_timing=False,
        store_widget_state=True,
        resources={"metadata": {"path": str(HERE)}},
    ).execute()
    seconds = time.perf_counter() - start
    tidy(nb)
    nb.metadata["language_info"] = {"name": "python"}  # the kernel adds its exact version
    nbformat.validate(nb)
    target = HERE / f"{source.stem}.ipynb"
    text = nbformat.writes(nb).rstrip("\n") + "\n"
    size = len(text.encode("utf-8"))
    if seconds >= MAX_SECONDS or size >= MAX_BYTES:
        raise RuntimeError(
            f"{target.name} ran in {seconds:.1f} s and would save {size:,} bytes: the limits "
            f"are {MAX_SECONDS} s and {MAX_BYTES:,} bytes (the saved notebook is unchanged)"
        )
    write_bytes(target, text.encode("utf-8"))  # all or nothing: a temp file, then a rename
    return seconds


def main(prefixes: list[str]) -> None:
    if KERNEL not in find_kernel_specs():
        sys.exit(
            f"no Jupyter kernel {KERNEL!r}: install ipykernel into this Python ({sys.executable})"
        )
    sources = sorted(SOURCES.glob("[0-9][0-9]_*.py"))
    if prefixes:
        sources = [s for s in sources if any(s.stem.startswith(p) for p in prefixes)]
    if not sources:
        sys.exit(f"no sources match {prefixes} in {SOURCES}")
    for source in sources:
        seconds = build(source)
        size = (HERE / f"{source.stem}.ipynb").stat().st_size
        print(f"{source.stem}.ipynb  ran in {seconds:.1f} s, {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main(sys.argv[1:])
