"""The command group, its exit codes and its one-line errors, and the options several commands share."""

import os
import sys

import click
from rich.console import Console

from .. import __version__
from ..blocks.run import TO_LAST_MATURITY
from ..config.load import whole_count
from ..errors import UserError, one_line

BAD_INPUT = 2


DAMAGED = 1


INTERRUPTED = 130


CLOSED_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a Unix tool whose reader went away


class BadInput(click.ClickException):
    """One line on stderr, exit code 2."""

    exit_code = BAD_INPUT


class InternalError(click.ClickException):
    """A bug: one line on stderr, exit code 1."""

    exit_code = 1


def _quiet_stdout():
    """The reader of stdout went away (``gpu-stress summarize DIR | head -1``): end quietly, as Unix tools do,
    with nothing more written to the closed pipe (not even at exit)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout)
        pass


def stderr_console():
    return Console(stderr=True, soft_wrap=True)  # a status line stays one line


class _Main(click.Group):
    """Turns every error of a command into one line (see the module's docstring)."""

    def invoke(self, ctx):
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # here, not at exit: a reader that went away is seen below
            return result
        except BrokenPipeError:
            _quiet_stdout()
            raise click.exceptions.Exit(CLOSED_PIPE) from None
        except click.UsageError as error:  # a bad option value in a subcommand: one line, not the usage
            raise BadInput(error.format_message()) from None
        except (click.exceptions.Exit, click.Abort, click.ClickException, KeyboardInterrupt):
            raise
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            if isinstance(error, UserError | OSError):
                raise BadInput(one_line(error)) from None
            raise InternalError(
                f"internal error: {type(error).__name__}: {one_line(error)} (--debug shows the traceback)"
            ) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gpu-stress")
@click.option("--debug", is_flag=True, envvar="GPU_STRESS_DEBUG", help="Show tracebacks instead of one-line errors.")
def main(debug):
    """Monte Carlo credit stress tests for debt-financed GPU clouds."""


class PathCount(click.ParamType):
    """A positive whole number of paths, also written as 1e6 or 2.5e4."""

    name = "count"

    def convert(self, value, param, ctx):
        try:
            number = whole_count(value)
        except ValueError:
            self.fail(f"{value!r} is not a whole number", param, ctx)
        if number < 1:
            self.fail(f"{value!r} is below 1", param, ctx)
        return number


class Horizon(click.ParamType):
    """Months (a whole number of at least 1), or "to-last-maturity": to the firm's last scheduled maturity."""

    name = "months|to-last-maturity"

    def convert(self, value, param, ctx):
        if value == TO_LAST_MATURITY:
            return value
        try:
            months = int(value)
        except (TypeError, ValueError):
            self.fail(f'{value!r} is neither a whole number of months nor "{TO_LAST_MATURITY}"', param, ctx)
        if months < 1:
            self.fail(f"{value!r} is below 1", param, ctx)
        return months


def no_verify_option(command):
    """``--no-verify``: read a results directory without checking its files against its manifest."""
    return click.option(
        "--no-verify",
        is_flag=True,
        help="Read the files without checking them against the directory's manifest (size and checksum) "
        "first; for a directory you know is whole (gpu-stress verify checks one).",
    )(command)


def opened(directory, no_verify):
    """The results directory, opened (and, unless ``no_verify``, its manifest and run.json checked)."""
    from ..results.verify import open_results

    return open_results(directory, check=not no_verify)


def path_counts(text, option):
    """``1e4,1e5`` -> [10000, 100000]; anything else names the option."""
    try:
        counts = [whole_count(part) for part in text.split(",") if part.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise BadInput(f"{option}: expected whole path counts like 1e4,1e5, got {text!r}")
    return counts
