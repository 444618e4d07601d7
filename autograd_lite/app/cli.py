"""The `autograd-lite` command: `demo`, `regression` and `draw`.

Bad arguments get one line on stderr and exit code 2, never a traceback. The commands
report bad input as ValueError (a bad expression, value or file suffix) or OSError (an
output path that cannot be written); both become that one line here.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ..viz.rendering import RenderError
from .demos import DEMO_EPOCHS, REGRESSION_STEPS


def _positive_int(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, got {text!r}")
    return n


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (no usage block) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="autograd-lite", description="A scalar autodiff engine for learning backprop."
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    for name, help_text, default_steps in (
        ("demo", "the seed network: forward pass, ∂J/∂Θ by engine and by hand, training",
         DEMO_EPOCHS),
        ("regression", "why a ReLU output predicts 0 on y = 3x² + 3x, and the fixes",
         REGRESSION_STEPS),
    ):
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--steps", type=_positive_int, default=default_steps)
        sub.add_argument("--seed", type=_int, default=0)
        sub.add_argument("--out", type=Path, default=Path("out"), help="directory for images")
        sub.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    draw = commands.add_parser("draw", help="draw the computation graph of an expression")
    draw.add_argument("expression", help='e.g. "relu(x*w + b)"')
    draw.add_argument("assignments", nargs="*", metavar="name=value")
    draw.add_argument("-o", "--output", type=Path, required=True, help="file.svg, .png or .pdf")
    draw.add_argument(
        "--frames",
        type=Path,
        metavar="DIR",
        help="also write the backward pass, one numbered image per node, into DIR",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .demos import run_demo

            run_demo(steps=args.steps, seed=args.seed, out=args.out, progress=not args.no_progress)
        elif args.command == "regression":
            from .demos import run_regression

            run_regression(
                steps=args.steps, seed=args.seed, out=args.out, progress=not args.no_progress
            )
        else:
            from .draw import draw_expression

            image, *frames = draw_expression(
                args.expression, args.assignments, args.output, frames=args.frames
            )
            print(f"wrote {image}")
            if frames:
                print(f"wrote {len(frames)} frames: {frames[0]} … {frames[-1].name}")
    except (ValueError, OSError) as error:
        print(f"autograd-lite {args.command}: {error}", file=sys.stderr)
        return 2
    except RenderError as error:  # GraphvizNotFound, dot failing, or dot past its timeout
        print(f"autograd-lite {args.command}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
