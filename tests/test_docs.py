"""docs/model.md documents every configuration key, and the README's commands exist."""

from pathlib import Path

from pydantic import BaseModel

from gpu_stress.config.schema import Config

ROOT = Path(__file__).resolve().parent.parent


def keys(model, prefix=""):
    for name, field in model.model_fields.items():
        if isinstance(field.default, BaseModel):
            yield from keys(type(field.default), f"{prefix}{name}.")
        elif name not in TABLES:
            yield prefix + name


TABLES = Config.tables()


def test_every_parameter_is_documented():
    text = (ROOT / "docs" / "model.md").read_text()
    missing = [key for key in keys(Config) if key not in text and key.rsplit(".", 1)[-1] not in text]
    for table, model in TABLES.items():
        missing += [f"{table}[].{key}" for key in keys(model) if f"{table}[].{key}" not in text]
    assert missing == []


def test_readme_starts_with_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(line for line in ci.splitlines() if "pytest" in line).strip()
    assert test_command in readme
    assert "gpu-stress run" in readme.split("## ")[1]


def test_every_test_the_readme_promises_with_exists():
    import re

    readme = (ROOT / "README.md").read_text()
    promises = readme.split("## What gpu-stress promises")[1].split("\n## ")[0]
    cited = re.findall(r"\*([^*]+)\*", promises.replace("\\*", "%").replace("**", ""))
    sources = {path.name: path.read_text() for path in (ROOT / "tests").glob("test_*.py")}
    checked = 0
    for citation in cited:
        for group in citation.split(";"):
            file_name, _, names = group.strip().partition(":")
            assert file_name.strip() in sources, file_name
            for name in filter(None, (name.strip() for name in names.split(","))):
                pattern = re.escape(name).replace("%", ".*")
                assert re.search(rf"def {pattern}\(", sources[file_name.strip()]), (file_name, name)
                checked += 1
    assert checked >= 10
