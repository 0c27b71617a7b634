"""Run files without pickle: safetensors for tensors, JSON for the rest, all written atomically.

A checkpoint is `checkpoints/step-000123.safetensors` (weights, optimizer tensors, RNG states) with
its JSON state in the safetensors metadata, so one file is always self-consistent. Every file is
written to a temporary name in the same folder, flushed, fsynced and renamed into place, and the
folder is fsynced, so a crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import json
import os
import pickletools
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gantool.errors import GantoolError, first_line
from gantool.training.health import nonfinite_names

if TYPE_CHECKING:
    import torch

FORMAT = "gantool-checkpoint-1"
EXPORT_FORMAT = "gantool-generator-1"
PICKLE_SUFFIXES = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".bin")
TEMP_SUFFIX = ".tmp"
PICKLE_MAGIC = (b"\x80", b"PK\x03\x04")  # a raw pickle's protocol opcode; the zip that torch.save writes
PICKLE_SCAN_BYTES = 1 << 20  # how much of a refused file is scanned for the opcodes of an old-protocol pickle
RESUME_ADVICE = "Free space or choose a writable --out, then continue with --resume"  # for a run's files
OUTPUT_ADVICE = "Free space or choose a writable --out, then run the command again"  # for generate, interpolate
PICKLE_ADVICE = ("gantool only reads .safetensors and never unpickles (convert it yourself with "
                 "safetensors.torch.save_file if you trust it)")


def atomic_write_bytes(path: Path, data: bytes, *, advice: str = RESUME_ADVICE) -> None:
    """Write `data` to `path` so that readers see the old content or the new, never a mix.

    A failure (full disk, read-only folder) becomes one clear GantoolError ending in `advice`; the old file is
    untouched.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as exc:
        raise write_error(path, exc, advice) from None
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; a run's files get the mode every other file gets
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise write_error(path, exc, advice) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_error(path: Path, exc: OSError, advice: str = RESUME_ADVICE) -> GantoolError:
    """One line for a failed write, saying that what was written before is intact and what to do."""
    reason = "the disk is full" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
    return GantoolError(f"cannot write {path}: {reason}; files written before are intact. {advice}")


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    """The process umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_tensors(path: Path, tensors: Mapping[str, torch.Tensor], state: Mapping[str, Any]) -> None:
    """Atomically write tensors with a JSON `state` in the safetensors metadata."""
    from safetensors.torch import save

    payload = {name: tensor.detach().cpu().contiguous() for name, tensor in tensors.items()}
    atomic_write_bytes(path, save(payload, metadata={"gantool": json.dumps(state)}))


def load_tensors(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Read tensors and JSON state written by `save_tensors`; refuse pickles and damaged files."""
    from safetensors import safe_open

    refuse_pickle(path)
    if not path.is_file():
        raise GantoolError(f"{path} does not exist: give a run directory or a .safetensors file gantool wrote")
    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
        state = json.loads(metadata["gantool"])
    except (KeyError, json.JSONDecodeError):
        raise GantoolError(f"{path} has no gantool metadata: it was not written by gantool") from None
    except Exception as exc:  # safetensors raises its own error types for damaged headers
        if _starts_like_pickle(path):
            raise GantoolError(f"{path.name} is a pickle-based PyTorch file under another name; "
                               + PICKLE_ADVICE) from None
        raise GantoolError(f"{path} is not a readable safetensors file ({first_line(exc)}); it may be "
                           "truncated") from None
    if not isinstance(state, dict):
        raise GantoolError(f"{path} has malformed gantool metadata: it was not written by gantool")
    bad = nonfinite_names(tensors)
    if bad:
        raise GantoolError(f"{path} holds non-finite values (NaN or infinity) in {bad[0]}; it cannot be used. "
                           "Use an earlier checkpoint")
    return tensors, state


def _starts_like_pickle(path: Path) -> bool:
    """Only asked once safetensors has refused the file, so a valid file is never misjudged. Protocols 2 and up
    and torch's zip start with a magic; protocols 0 and 1 have none, so their opcodes are read (never run) up
    to the STOP that ends a pickle."""
    with path.open("rb") as handle:
        head = handle.read(PICKLE_SCAN_BYTES)
    if head.startswith(PICKLE_MAGIC):
        return True
    try:
        return any(opcode.name == "STOP" for opcode, _, _ in pickletools.genops(head))
    except Exception:  # an unknown opcode or bytes cut short: not a pickle gantool can recognise
        return False


def refuse_pickle(path: Path) -> None:
    """Pickle files can run code when loaded; gantool never opens them."""
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise GantoolError(
            f"{path.name} looks like a pickle-based PyTorch file, which can run arbitrary code when loaded; "
            + PICKLE_ADVICE
        )


def flatten_state_dict(prefix: str, state: Mapping[str, Any]) -> tuple[dict[str, torch.Tensor], Any]:
    """Split an optimizer-style state dict into named tensors and a JSON-able skeleton."""
    import torch

    tensors: dict[str, torch.Tensor] = {}

    def walk(value: Any, key: str) -> Any:
        if isinstance(value, torch.Tensor):
            tensors[key] = value
            return {"__tensor__": key}
        if isinstance(value, Mapping):
            return {"__dict__": [[walk(k, f"{key}.k{i}"), walk(v, f"{key}.{i}")] for i, (k, v) in
                                 enumerate(value.items())]}
        if isinstance(value, list | tuple):
            return {"__list__": [walk(v, f"{key}.{i}") for i, v in enumerate(value)],
                    "tuple": isinstance(value, tuple)}
        return value

    return tensors, walk(state, prefix)


def unflatten_state_dict(skeleton: Any, tensors: Mapping[str, torch.Tensor]) -> Any:
    """Inverse of `flatten_state_dict`."""
    if isinstance(skeleton, dict):
        if "__tensor__" in skeleton:
            return tensors[skeleton["__tensor__"]]
        if "__dict__" in skeleton:
            return {unflatten_state_dict(k, tensors): unflatten_state_dict(v, tensors) for k, v in skeleton["__dict__"]}
        if "__list__" in skeleton:
            items = [unflatten_state_dict(v, tensors) for v in skeleton["__list__"]]
            return tuple(items) if skeleton.get("tuple") else items
    return skeleton
