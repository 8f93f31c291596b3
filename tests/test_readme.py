"""The README's examples cannot rot: its Python blocks run as written, and every gpu-stress command line in its
shell blocks names a real command with options and values that command accepts."""

import re
import shlex
from pathlib import Path

import click
import pytest

from gpu_stress.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def blocks(language):
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def command_lines():
    """Every `gpu-stress ...` command of the README's sh blocks (comments and `&&` chains split off)."""
    lines = []
    for block in blocks("sh"):
        for line in block.replace("\\\n", " ").splitlines():
            code = line.split("  #")[0].split(" # ")[0].strip()
            lines += [part.strip() for part in code.split("&&") if part.strip().startswith("gpu-stress ")]
    return lines


def parse(arguments, command=main, name="gpu-stress"):
    """Parse ``arguments`` as the CLI would, down to the subcommand, without running anything."""
    context = command.make_context(name, list(arguments))
    if isinstance(command, click.Group):
        rest = [*context._protected_args, *context.args]
        if not rest:
            return
        sub = command.get_command(context, rest[0])
        assert sub is not None, f"no command {rest[0]!r}"
        parse(rest[1:], sub, rest[0])


def test_the_readme_python_examples_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    examples = blocks("python")
    assert len(examples) >= 3
    namespace = {}
    for example in examples:
        exec(compile(example, "README.md", "exec"), namespace)  # in order: later blocks use earlier results


@pytest.mark.parametrize("line", command_lines())
def test_every_readme_command_parses(line):
    parse(shlex.split(line)[1:])


def test_the_readme_shows_many_commands():
    assert len(command_lines()) >= 20
