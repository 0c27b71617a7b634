"""The model card `gantool export` writes, from a run a hostile hand edited (issue 27): text from metrics.jsonl,
config.toml and the export's metadata renders as text on a hub that turns Markdown into HTML, the folder's name is
quoted in the card's snippets so that copying them runs nothing else, and a malformed evaluation line is ignored
with a warning. Cards are rendered by markdown-it-py (CommonMark with tables) to check what a hub would show."""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
import tomllib
from html.parser import HTMLParser

import pytest
import tomli_w
from markdown_it import MarkdownIt
from safetensors import safe_open
from safetensors.torch import save_file

HOSTILE = "<script>alert(1)</script><img src=x onerror=alert(2)>[click](javascript:alert(3))`code` \x1b[31mred|"


def rendered(card: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(card)


class Tags(HTMLParser):
    """The elements of an HTML page and their attributes."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def hostile_run(trained_run, tmp_path):
    """A copy of the tiny run with HOSTILE in every text a hand could put there."""
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    config = tomllib.loads((run / "config.toml").read_text())
    config["dataset"] = HOSTILE
    config["options"]["data"] = {"root": HOSTILE}
    (run / "config.toml").write_text(tomli_w.dumps(config))
    evaluation = {"step": 3, "eval": {"frechet_distance": HOSTILE, "kid": 0.5},
                  "eval_protocol": {"samples": HOSTILE, "reference": HOSTILE, "extractor": HOSTILE}}
    with (run / "metrics.jsonl").open("a") as log:
        log.write(json.dumps(evaluation) + "\n")
    export = run / "generator.safetensors"
    with safe_open(str(export), framework="pt") as handle:
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        state = json.loads(handle.metadata()["gantool"])
    state |= {"plugin": {"package": HOSTILE, "version": HOSTILE}, "gantool": HOSTILE}
    save_file(tensors, str(export), metadata={"gantool": json.dumps(state)})
    return run


def test_text_from_the_run_renders_as_text(cli, trained_run, tmp_path):
    folder = tmp_path / "card"
    result = cli("export", str(hostile_run(trained_run, tmp_path)), str(folder))
    assert result.code == 0, result.err
    card = (folder / "README.md").read_text()
    html = rendered(card)
    tags = Tags(html).found
    assert {tag for tag, _ in tags} <= {"h1", "h2", "hr", "p", "ul", "li", "code", "pre", "table", "thead", "tbody",
                                        "tr", "th", "td", "img"}, tags
    attributes = [attrs for tag, attrs in tags if attrs and attrs != [("class", "language-python")]]
    assert attributes == [[("src", "samples.png"), ("alt", "samples")]]
    assert "\x1b" not in card
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8  # title, prose, settings, evaluation, protocol
    assert "<h1>card: " in html and "onerror=alert(2)" in html  # shown, as text


def test_a_config_toml_edited_against_the_rules_of_training_is_refused(cli, trained_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    config = tomllib.loads((run / "config.toml").read_text())
    (run / "config.toml").write_text(tomli_w.dumps(config | {"batch_size": "<b>16</b>"}))
    result = cli("export", str(run), str(tmp_path / "card"))
    lines = result.err.strip().splitlines()
    assert result.code == 2 and len(lines) == 1 and "batch_size" in lines[0] and "config.toml" in lines[0], result.err
    assert not (tmp_path / "card").exists()


@pytest.mark.parametrize("record", [{"step": 3, "eval": "x"}, {"step": 3, "eval": [1, 2]}, ["eval"],
                                    {"step": 3, "eval": {"kid": 0.1}, "eval_protocol": "x"}])
def test_an_evaluation_line_of_the_wrong_type_is_ignored_with_a_warning(cli, trained_run, tmp_path, record):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    with (run / "metrics.jsonl").open("a") as log:
        log.write(json.dumps(record) + "\n")
    result = cli("export", str(run), str(tmp_path / "card"))
    assert result.code == 0, result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
    card = (tmp_path / "card" / "README.md").read_text()
    assert "No evaluation was recorded" in card
    if isinstance(record, dict):
        assert "warning:" in result.err and "metrics.jsonl" in result.err and "ignored" in result.err


NAME = "it's \"$(touch pwned)\"; `touch pwned2` & x"


def test_the_folder_name_is_quoted_in_the_snippets_so_copying_them_runs_nothing_else(cli, trained_run, tmp_path):
    folder = tmp_path / NAME
    assert cli("export", str(trained_run), str(folder)).code == 0
    card = (folder / "README.md").read_text()
    python = "\n".join(re.findall(r"```python\n(.*?)```", card, re.S))
    calls = [node for node in ast.walk(ast.parse(python)) if isinstance(node, ast.Call) and node.args]
    loaded = [node.args[0].value for node in calls if ast.unparse(node.func) == "gantool.load"]
    opened = [node.args[0].value for node in calls if getattr(node.func, "id", None) in ("open", "load_file")]
    assert loaded == [NAME] and opened == [f"{NAME}/config.json", f"{NAME}/model.safetensors"]
    inline = [token for block in MarkdownIt("commonmark").enable("table").parse(card) for token in block.children or ()]
    spans = [token.content for token in inline if token.type == "code_inline" and "pwned" in token.content]
    assert len(spans) == 7  # evaluate (command and Python), generate, app.py, demo, hf upload, huggingface-cli
    for span in spans:
        if span.startswith("gantool."):
            assert ast.literal_eval(span.removeprefix("gantool.evaluate(").removesuffix(")")) == NAME
        else:
            assert {NAME, f"{NAME}/app.py"} & set(shlex.split(span)), span
    commands = [span for span in spans if not span.startswith("gantool.")]
    generate = next(command for command in commands if command.startswith("gantool generate"))
    run = subprocess.run(["bash", "-c", generate], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "samples-16.png").is_file() and not list(tmp_path.glob("pwned*"))
    title = NAME.replace("&", "&amp;").replace('"', "&quot;")
    assert f"<h1>{title}: builtins:dcgan" in rendered(card)  # the title is the name as text, quotes and all


def test_a_folder_name_with_control_characters_is_refused(cli, trained_run, tmp_path):
    result = cli("export", str(trained_run), str(tmp_path / "a\nb"))
    assert result.code == 2 and "control characters" in result.err and len(result.err.strip().splitlines()) == 1
