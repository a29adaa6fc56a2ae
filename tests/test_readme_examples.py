"""Example output in the READMEs comes from real runs: each marked block is what its
command prints now (``docs/examples.py`` remakes them), and no README shows output
that no command made."""

import importlib.util
import re
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("readme_examples", REPO / "docs" / "examples.py")
examples = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = examples  # dataclasses look their module up there
_spec.loader.exec_module(examples)

ALL = [ex for readme in examples.readmes() for ex in examples.examples(readme)]
# what a block of clusterlab's output looks like: a check line with its points, a total
OUTPUT_LIKE = re.compile(r"^[✓✗–] .*\[[\d.]+/[\d.]+\]$|^public checks: |^Score: ", re.M)


def test_the_readme_shows_a_real_check():
    commands = [ex.command for ex in ALL if ex.readme.name == "README.md"]
    assert any(c.startswith("clusterlab check ") for c in commands), commands


@pytest.mark.parametrize("ex", ALL, ids=[f"{e.readme.parent.name}:{e.first}" for e in ALL])
def test_each_example_is_what_its_command_prints(ex):
    real = examples.run(ex.command)
    assert "Traceback" not in real, real
    assert examples.normalise(ex.shown) == examples.normalise(real), (
        f"{ex.readme}:{ex.first}: the example of `{ex.command}` is out of date; "
        "run `python docs/examples.py --write`"
    )


def test_no_readme_shows_output_that_no_command_made():
    for readme in examples.readmes():
        text = readme.read_text(encoding="utf-8")
        marked = {ex.first for ex in examples.examples(readme)}
        lines = text.splitlines()
        fence = [i for i, line in enumerate(lines) if line.startswith("```")]
        for start, end in zip(fence[::2], fence[1::2], strict=False):
            block = "\n".join(lines[start + 1 : end])
            if OUTPUT_LIKE.search(block):
                assert start + 1 in marked, (
                    f"{readme}:{start + 1}: this block shows clusterlab's output; mark it with "
                    "<!-- example: COMMAND --> so that it is made by a real run"
                )


def test_a_changed_example_is_caught(tmp_path, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text(
        "<!-- example: clusterlab --version -->\n```text\nclusterlab 0.0.0-not-real\n```\n"
    )
    monkeypatch.setattr(examples, "readmes", lambda: [readme])
    assert examples.main([]) == 1
    assert examples.main(["--write"]) == 0
    from autograder import __version__

    assert f"clusterlab {__version__}" in readme.read_text()
    assert examples.main([]) == 0
