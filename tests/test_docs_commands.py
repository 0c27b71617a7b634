"""Every shell command shown in README.md and docs/*.md runs, so no example can rot.

Each document runs in its own temporary folder, block by block in reading order, with files written
from its ```LANG title="PATH"``` blocks and small fake data sets in place. The ```python blocks of the
documents in PYTHON_DOCUMENTS run too, in one namespace in reading order, as cells of a notebook do.
Commands are made short by rewriting: `gantool train` gets `--max-steps 2` (with `--patience`, one whole epoch
of the small fake data, so the best export exists), a small batch and tiny model widths, `gantool evaluate`
measures 100 samples, and `pip install` goes to a private folder with no downloads. Commands that are not run,
and commands that are shown failing on purpose, are listed below with the reason; an entry no document uses any
more fails the suite.
"""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gantool.config import AUTO_GENERATOR, TrainConfig
from gantool.errors import GantoolError
from gantool.options import option_specs
from gantool.registry import load_registry
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Documents whose untitled ```python blocks are whole programs to run (elsewhere they may be fragments).
PYTHON_DOCUMENTS = {ROOT / "docs" / "python-api.md"}

# Commands never run, each with its reason (a regular expression matched against the whole command).
NOT_RUN = {
    r"^python3 -m venv \.venv && \. \.venv/bin/activate && pip install \.( |$)":
        "installs gantool itself; .ci/run runs exactly this install in a fresh environment",
    r'^\. \.venv/bin/activate && pip install "\.\[dev\]" && python -m pytest$':
        "the test suite itself; .ci/run runs it",
    r"^gantool --install-completion": "edits the user's shell start-up files",
    r"^python benchmarks/trainer_speed\.py": "a benchmark of minutes, run on demand (docs/benchmarks.md)",
    r"^python benchmarks/quality_speed\.py": "trains two loops for minutes each, run on demand (docs/benchmarks.md)",
    r"^torchrun --nnodes 2 ": "needs two machines and a rendezvous host; tests/test_distributed.py runs two ranks "
                             "on one machine through the same torchrun path",
    r"^gantool demo ": "serves a web page until Ctrl-C; plugins/gantool-demo/tests/test_page.py starts it on a free "
                       "port and drives the page",
    r"^hf auth login$": "logs in to the Hugging Face Hub: needs the network and an account",
    r"^hf upload ": "uploads to the Hugging Face Hub: needs the network and an account; gantool itself stays "
                    "offline, and tests/test_export.py checks the folder it would upload",
}

# Commands shown failing on purpose: (regular expression, text the one-line error must contain).
EXPECTED_ERRORS: dict[str, str] = {}

# Option values that keep models tiny, applied to whichever generator or discriminator declares them.
TINY_OPTIONS = {"depth": "4", "hidden1": "16", "hidden2": "16"}
FAST_TRAIN = ["--max-steps", "2", "--batch-size", "8", "--quiet"]
SHELL_OPERATORS = {"|", "||", "&&", ";", ">", ">>", "<", "&", "(", ")"}


@dataclass
class Command:
    """One logical shell line of a document, with where it is shown."""

    text: str
    line: int


@dataclass
class Block:
    """A fenced block: commands to run, a file to write (from `title="PATH"`), or Python to run."""

    line: int
    commands: list[Command] = field(default_factory=list)
    path: str | None = None
    content: str = ""
    python: bool = False


def read_blocks(document: Path) -> list[Block]:
    """The bash blocks and titled file blocks of a Markdown document, in order."""
    blocks, lines, index = [], document.read_text(encoding="utf-8").splitlines(), 0
    while index < len(lines):
        opening = re.match(r"^```(\w*)(.*)$", lines[index])
        index += 1
        if not opening:
            continue
        start, body = index, []
        while index < len(lines) and not lines[index].startswith("```"):
            body.append(lines[index])
            index += 1
        index += 1
        language, attributes = opening.groups()
        title = re.search(r'title="([^"]+)"', attributes)
        if title:
            blocks.append(Block(start, path=title.group(1), content="\n".join(body) + "\n"))
        elif language == "bash":
            blocks.append(Block(start, commands=list(logical_lines(body, start))))
        elif language == "python" and document in PYTHON_DOCUMENTS:
            blocks.append(Block(start, content="\n".join(body) + "\n", python=True))
    return blocks


def logical_lines(body: list[str], first_line: int):
    """Join backslash continuations and drop blank and comment-only lines."""
    pending, pending_line = "", first_line
    for offset, raw in enumerate(body):
        if not pending:
            pending_line = first_line + offset + 1
        stripped = raw.strip()
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        text = (pending + stripped).strip()
        pending = ""
        if text and not text.startswith("#"):
            yield Command(text, pending_line)


def matching(table: dict[str, str], command: str) -> str | None:
    return next((pattern for pattern in table if re.search(pattern, command)), None)


class DocRunner:
    """Runs one document's commands in a temporary folder, rewritten to be short."""

    def __init__(self, workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.workdir, self.capsys = workdir, capsys
        self.site = workdir / ".site-packages"
        self.site.mkdir()
        monkeypatch.syspath_prepend(str(self.site))  # what `pip install` puts there is found in-process too
        self.namespace: dict[str, object] = {"__name__": "__main__"}
        self.env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "PYTHONPATH": os.pathsep.join([str(self.site), str(ROOT), str(ROOT / "plugins"),
                                           os.environ.get("PYTHONPATH", "")]),
            "COLUMNS": "120",
        }

    def run(self, command: Command, where: str) -> None:
        skipped = matching(NOT_RUN, command.text)
        if skipped:
            USED.add(skipped)
            return
        expected = matching(EXPECTED_ERRORS, command.text)
        tokens = rewrite(split_shell(command.text), self.workdir, self.site)
        code, output = self.execute(tokens)
        if expected:
            USED.add(expected)
            assert code == 2 and EXPECTED_ERRORS[expected] in output, (
                f"{where}: `{command.text}` should fail with {EXPECTED_ERRORS[expected]!r}; got exit {code}:\n{output}")
        else:
            assert code == 0, f"{where}: `{command.text}` failed with exit code {code}:\n{output}"

    def run_python(self, block: Block, where: str) -> None:
        """Run a ```python block in this document's namespace, reporting a failure at its line."""
        code = compile("\n" * block.line + block.content, where, "exec")  # tracebacks point into the document
        try:
            exec(code, self.namespace)
        except Exception as exc:
            pytest.fail(f"{where}: the Python block failed: {type(exc).__name__}: {exc}")

    def execute(self, tokens: list[str]) -> tuple[int, str]:
        """Simple `gantool ...` lines run in this process (fast); anything else runs in bash."""
        if tokens[:1] == ["gantool"] and not SHELL_OPERATORS & set(tokens):
            result = run_cli(self.capsys, *tokens[1:])
            return result.code, result.out + result.err
        line = " ".join(token if token in SHELL_OPERATORS else shlex.quote(token) for token in tokens)
        process = subprocess.run(["bash", "-c", line], cwd=self.workdir, env=self.env, capture_output=True,
                                 text=True, timeout=300)
        importlib.invalidate_caches()  # the command may have installed a package
        return process.returncode, process.stdout + process.stderr


def split_shell(text: str) -> list[str]:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def rewrite(tokens: list[str], workdir: Path, site: Path) -> list[str]:
    """Make each simple command of a line short: tiny, two-step training; installs into a private folder."""
    result, segment = [], []
    for token in [*tokens, ";"]:
        if token in SHELL_OPERATORS:
            result += rewrite_simple(segment, workdir, site) + ([token] if token != ";" or segment else [])
            segment = []
        else:
            segment.append(token)
    return result[:-1] if result and result[-1] == ";" else result


def rewrite_simple(words: list[str], workdir: Path, site: Path) -> list[str]:
    if words[:3] == ["python", "-m", "gantool"]:
        words = ["gantool", *words[3:]]
    if words[:2] == ["gantool", "train"]:
        return cap_processes(words, "--nproc") + fast_train_arguments(words)
    if words[:1] == ["torchrun"] and "gantool" in words:  # torchrun [its options] -m gantool train ...
        launcher, command = words[:words.index("gantool")], words[words.index("gantool"):]
        extra = fast_train_arguments(command) if command[1:2] == ["train"] else []
        return cap_processes(launcher, "--nproc-per-node") + command + extra
    if words[:2] == ["gantool", "evaluate"]:
        return [*words, "--num", "100"]
    if words[:2] == ["pip", "install"]:
        targets = [word if (workdir / word).exists() or not (ROOT / word).exists() else str(ROOT / word)
                   for word in words[2:] if word != "-e"]
        # Building with the setuptools already here needs no index; without it, pip fetches one to build with.
        offline = ["--no-build-isolation"] if importlib.util.find_spec("setuptools") else []
        return [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", *offline, "--target", str(site),
                *targets]
    return words


def cap_processes(words: list[str], option: str) -> list[str]:
    """At most two processes: the test machine has two cores."""
    return [str(min(int(word), 2)) if index and words[index - 1] == option and word.isdigit() else word
            for index, word in enumerate(words)]


def fast_train_arguments(words: list[str]) -> list[str]:
    """Two steps of a small batch; on a resume, two more steps than the first run made."""
    if "--resume" in words:
        return ["--max-steps", "4", "--quiet"]
    gen = value_of(words, "--gen") or TrainConfig().gen
    gen = "dcgan" if gen == AUTO_GENERATOR else gen  # its options (depth) fit whichever auto picks: dcgan or cgan
    disc = value_of(words, "--disc") or gen
    registry = load_registry()
    extra = list(FAST_TRAIN)
    if "--patience" in words:  # the best export is written at an epoch's end: train one whole epoch instead
        extra = ["--epochs", "1", *FAST_TRAIN[2:]]
    for kind, prefix, name in (("generator", "gen", gen), ("discriminator", "disc", disc)):
        try:
            factory = registry.get(kind, name).factory
        except GantoolError:  # an unknown name: the command itself will say so
            continue
        extra += [item for spec in option_specs(factory) if spec.name in TINY_OPTIONS
                  for item in ("--set", f"{prefix}.{spec.name}={TINY_OPTIONS[spec.name]}")]
    return extra


def value_of(words: list[str], option: str) -> str | None:
    for index, word in enumerate(words):
        if word == option and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


def make_fake_data(workdir: Path) -> None:
    """Stand-ins for data the docs point at: a folder of 64x64 face-like JPEGs, MNIST's raw files and CIFAR-10's
    binary batches."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    faces = workdir / "data" / "faces"
    faces.mkdir(parents=True)
    for index in range(16):
        pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(faces / f"face-{index:02d}.jpg")
    raw = workdir / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, count in (("train", 64), ("t10k", 16)):
        images = rng.integers(0, 256, (count, 28, 28), dtype=np.uint8)
        labels = np.arange(count, dtype=np.uint8) % 10
        header = np.array([2051, count, 28, 28], dtype=">i4").tobytes()
        (raw / f"{split}-images-idx3-ubyte").write_bytes(header + images.tobytes())
        (raw / f"{split}-labels-idx1-ubyte").write_bytes(np.array([2049, count], dtype=">i4").tobytes()
                                                         + labels.tobytes())
        for name in (f"{split}-images-idx3-ubyte", f"{split}-labels-idx1-ubyte"):
            (raw / f"{name}.gz").write_bytes(gzip.compress((raw / name).read_bytes()))
    batches = workdir / "data" / "cifar-10-batches-bin"
    batches.mkdir()
    for name in [f"data_batch_{index}.bin" for index in range(1, 6)] + ["test_batch.bin"]:
        records = rng.integers(0, 256, (16, 1 + 3 * 32 * 32), dtype=np.uint8)
        records[:, 0] = np.arange(16) % 10  # one label byte, then the red, green and blue planes
        (batches / name).write_bytes(records.tobytes())


USED: set[str] = set()  # allow-list entries some document needed
DONE: set[Path] = set()  # documents whose commands all ran


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_document_commands_run(document, tmp_path, monkeypatch, capsys):
    blocks = read_blocks(document)
    monkeypatch.chdir(tmp_path)
    make_fake_data(tmp_path)
    runner = DocRunner(tmp_path, capsys, monkeypatch)
    for block in blocks:
        if block.path is not None:
            target = tmp_path / block.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.content, encoding="utf-8")
        if block.python:
            runner.run_python(block, f"{document.relative_to(ROOT)}:{block.line}")
        for command in block.commands:
            runner.run(command, f"{document.relative_to(ROOT)}:{command.line}")
    DONE.add(document)


def test_every_allow_list_entry_is_still_used():
    """Runs after the documents: a stale NOT_RUN or EXPECTED_ERRORS entry would hide nothing and mislead."""
    if set(DOCUMENTS) - DONE:
        pytest.skip("needs every document's commands to have run in this session")
    stale = sorted((set(NOT_RUN) | set(EXPECTED_ERRORS)) - USED)
    assert not stale, f"no document shows these any more; remove them: {stale}"


def pip_installs(document: Path, blocks: int) -> list[str]:
    """The `pip install ...` parts of the commands in a document's first `blocks` shell blocks."""
    commands = [command.text for block in read_blocks(document)[:blocks] for command in block.commands]
    return [part.strip() for text in commands for part in text.split("&&") if part.strip().startswith("pip install")]


def test_users_install_without_the_test_tools_and_ci_installs_as_the_readme_says():
    """The README's two commands: users install `.`, the tests add `.[dev]`; the quick start and .ci/run agree."""
    installs = pip_installs(ROOT / "README.md", 2)
    assert installs == ["pip install .", 'pip install ".[dev]"']
    assert pip_installs(ROOT / "docs" / "quickstart.md", 1) == installs[:1]
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert [line for line in ci_lines if line in installs] == installs


def test_reader_joins_continuations_and_finds_file_blocks(tmp_path):
    page = tmp_path / "page.md"
    page.write_text('Text\n\n```bash\n# a comment\ngantool train \\\n  --epochs 3\n\ngantool list-plugins\n```\n\n'
                    '```toml title="pkg/pyproject.toml"\n[project]\n```\n')
    commands, file_block = read_blocks(page)
    assert [(c.text, c.line) for c in commands.commands] == [("gantool train --epochs 3", 5),
                                                            ("gantool list-plugins", 8)]
    assert (file_block.path, file_block.content) == ("pkg/pyproject.toml", "[project]\n")


def test_rewrite_makes_training_short_and_installs_private(tmp_path):
    tokens = rewrite(split_shell("gantool train --gen dcgan --epochs 50 && pip install ./pkg"), tmp_path,
                     tmp_path / "site")
    first = tokens[:tokens.index("&&")]
    assert first[:5] == ["gantool", "train", "--gen", "dcgan", "--epochs"]
    assert first[first.index("--max-steps") + 1] == "2" and "gen.depth=4" in first and "disc.depth=4" in first
    install = tokens[tokens.index("&&") + 1:]
    assert install[install.index("--target") + 1] == str(tmp_path / "site") and install[-1] == "./pkg"
