"""What every ``livereview`` command module shares: the one Typer app commands register on, the common options,
and the small parsing and writing steps several commands take.

One way to register a command: decorate it with ``@app.command()`` (or ``@protocol_app.command()``) in its
module, and list the module in ``cli/main.py``'s imports. The modules import this one, never ``cli.main``, so
the CLI has no import cycle (``tests/test_imports.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Annotated

import typer

from livereview.errors import InputFileError

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="livereview — keep a registered systematic review's searches running and its corpus current.")
protocol_app = typer.Typer(no_args_is_help=True, help="Inspect and check review protocol files.")
app.add_typer(protocol_app, name="protocol")

ProtocolOpt = Annotated[Path | None, typer.Option(
    "--protocol", "-p", help="Protocol file (default: LIVEREVIEW_PROTOCOL or the bundled ia-coaching.toml).")]


def parse_date(value: str | None, param_hint: str | None = None) -> date | None:
    """``YYYY-MM-DD`` -> a date; anything else is a usage error naming the option."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)", param_hint=param_hint) from exc


def parse_ids(value: str | None) -> list[int] | None:
    """``--ids 1,2,3`` or ``--ids @file`` (one id per line) -> ids; a bad id is a usage error naming it."""
    if value is None:
        return None
    if value.startswith("@"):
        path = Path(value[1:])
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputFileError(str(path), f"cannot read the id list: {exc.strerror or exc}") from exc
        parts = text.split()
    else:
        parts = value.replace(" ", "").split(",")
    ids = []
    for p in parts:
        if not p:
            continue
        if not p.isdigit():
            raise typer.BadParameter(f"{p!r} is not a work id", param_hint="--ids")
        ids.append(int(p))
    return ids


@contextmanager
def output_file(output: Path, *, binary: bool = False) -> Iterator[IO]:
    """A file written whole: into ``<name>.part``, renamed into place only when the block ends without error,
    so a failed command never leaves half a file under the name asked for."""
    tmp = output.with_name(output.name + ".part")
    try:
        with (tmp.open("wb") if binary else tmp.open("w", encoding="utf-8", newline="")) as fh:
            yield fh
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(output)


def write_output(data: str | bytes, output: Path | None) -> None:
    """To stdout, or to ``output`` written whole (see :func:`output_file`)."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            typer.echo(data, nl=False)
        return
    with output_file(output, binary=isinstance(data, bytes)) as fh:
        fh.write(data)


def batch_gc() -> None:
    """Collect cyclic garbage less often for the rest of this command: an import or dedupe of a large file keeps
    hundreds of thousands of objects alive (match keys, the store's lookups), which every full collection walks
    again; with Python's default thresholds that was about 6 % of a large import's CPU time."""
    import gc

    gc.set_threshold(100_000, 50, 100)
