"""The `autograd-lite` command: `demo`, `regression` and `draw`.

Every error is one line on stderr, saying what failed and how to fix it, never a
traceback: exit code 2 for bad input (a bad argument, expression, value or file suffix:
ValueError; an output path that cannot be written: OSError, described here by its errno,
never shown as a raw `[Errno 2]`), 1 when dot fails, 130 after a Ctrl-C.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from ..atomic import NotARegularFileError
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
    """argparse, but a bad argument is one line (no usage block) and exit code 2, with
    `hint` (set by build_parser) after the message."""

    hint = ""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}{self.hint} (see --help)\n")


#: draw's options: any other word of a draw command line that starts with "-" is taken
#: by argparse for an unknown option, though the user meant an expression such as -x.
_DRAW_OPTIONS = ("-o", "--output", "--frames", "-h", "--help")


def dash_hint(argv: Sequence[str]) -> str:
    """What to add to argparse's error when a draw command line holds a word that starts
    with "-" and is none of draw's options (an expression such as "-x" or "-2*x"): say
    to put `--` before it. "" for every other command line."""
    if not argv or argv[0] != "draw":
        return ""
    words = list(argv[1:])
    words = words[: words.index("--")] if "--" in words else words
    dashed = [w for w in words if w.startswith("-") and w != "-" and not _is_draw_option(w)]
    if not dashed:
        return ""
    return (
        f"; an expression that starts with - (here {dashed[0]!r:.60}) must come after --, "
        f"which ends the options: autograd-lite draw -o graph.svg -- {dashed[0]!r:.60} x=1"
    )


def _is_draw_option(word: str) -> bool:
    """Whether argparse reads `word` as one of draw's options: as written, with its value
    after = (--output=g.svg) or attached (-og.svg), or a long option shortened (--out)."""
    name = word.split("=")[0]
    if name in _DRAW_OPTIONS or (word[:2] in _DRAW_OPTIONS and not word.startswith("--")):
        return True
    return len(name) > 2 and any(o.startswith(name) for o in _DRAW_OPTIONS if o[:2] == "--")


def build_parser(hint: str = "") -> argparse.ArgumentParser:
    """The command line's parser; `hint` is added to every argument error it reports."""
    parser = _OneLineParser(
        prog="autograd-lite", description="A scalar autodiff engine for learning backprop."
    )
    parser.hint = hint
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

    draw = commands.add_parser(
        "draw",
        help="draw the computation graph of an expression",
        epilog='an expression that starts with - goes after --: draw -o g.svg -- "-x" x=1',
    )
    draw.hint = hint
    draw.add_argument("expression", help='e.g. "relu(x*w + b)"')
    draw.add_argument("assignments", nargs="*", metavar="name=value")
    draw.add_argument("-o", "--output", type=Path, required=True,
                      help="file.svg, .png, .pdf, or .html (the explorer)")  # fmt: skip
    draw.add_argument(
        "--frames",
        type=Path,
        metavar="DIR",
        help="also write the backward pass, one numbered image per node, into DIR",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(dash_hint(words)).parse_args(words)
    try:
        _run(args)
    except (ValueError, OSError) as error:
        line = describe(error)
        line = line.removeprefix(f"{args.command}: ")  # run_demo's errors name it too
        print(f"autograd-lite {args.command}: {line}", file=sys.stderr)
        return 2
    except RenderError as error:  # GraphvizNotFound, dot failing, or dot past its timeout
        print(f"autograd-lite {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # fit's FitInterrupted too
        print(
            f"autograd-lite {args.command}: interrupted by Ctrl-C; each file is written whole "
            "or not at all, so every file is either new or as it was",
            file=sys.stderr,
        )
        return 130
    return 0


def _run(args: argparse.Namespace) -> None:
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


def describe(error: ValueError | OSError) -> str:
    """The error on one line, saying what failed and how to fix it: an OSError from the
    file system by its errno and the path it names, never as a raw `[Errno 2] …`."""
    if isinstance(error, NotARegularFileError) or not isinstance(error, OSError):
        return " ".join(str(error).split())
    if error.errno is None or error.filename is None:
        return " ".join((error.strerror or str(error)).split())
    path = str(error.filename)
    reason = error.strerror or "failed"
    return f"cannot write {path!r:.80} ({reason}): {_fix(error.errno, Path(path))}"


def _fix(number: int, path: Path) -> str:
    """What to do about the OSError `number` met while writing `path`."""
    if number == errno.ENOENT:
        if path.parent.is_dir():
            return (
                f"the folder {str(path.parent)!r:.80} takes no new files or folders here; "
                "choose a folder you can write to"
            )
        return "a folder on its path does not exist: create it, or choose another path"
    fixes = {
        errno.EACCES: "you may not write there: choose a folder you own",
        errno.EPERM: "you may not write there: choose a folder you own",
        errno.EROFS: "it is on a read-only file system: choose another folder",
        errno.ENOSPC: "the disk is full: free some space, or write elsewhere",
        errno.ENOTDIR: "a part of the path is a file, not a folder: choose another path",
        errno.EISDIR: "it is a folder: give a file name",
        errno.EEXIST: "a file stands where a folder must go: choose another path",
        errno.ELOOP: "its symlinks go round in a loop: fix or remove the link",
        errno.ENAMETOOLONG: "the name is too long: choose a shorter one",
    }
    if hasattr(errno, "EDQUOT"):
        fixes[errno.EDQUOT] = "your disk quota is used up: free some space, or write elsewhere"
    return fixes.get(number, "check the path, and that you may write there")


if __name__ == "__main__":
    sys.exit(main())
