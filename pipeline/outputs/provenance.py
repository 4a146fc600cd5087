"""Provenance: which code, which data and which software built the results.

The analyze stage writes ``results/provenance.json`` with

- the git commit of the code (short hash; ``-dirty`` appended when tracked files have
  uncommitted changes; ``"unknown"`` when git or the repository is unavailable);
- the SHA-256 of every raw input file, of the study config and of each codebook file;
- the versions of the packages that compute and draw the report;

and puts a short summary in ``stats.json`` (``stats["provenance"]``) for the title page.

Determinism: the record holds no dates, no absolute paths and no host names, so two runs
of the same commit on the same data give the same bytes. Paths are shown relative to the
project (or as the bare file name when outside it). The dirty check looks at tracked files
only (``git status --porcelain --untracked-files=no``): the pipeline's own outputs, or a
scratch file, never flip the flag between two runs.
"""

from __future__ import annotations

import hashlib
import platform
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from pipeline.study.config import PROJECT_ROOT, OutputPaths, StudyConfig
from pipeline.study.privacy import redact_path

#: Packages whose versions can change a number, a figure or the PDF.
PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "matplotlib", "weasyprint")
#: Length of the short fingerprints shown on the title page.
SHORT = 12
UNKNOWN = "unknown"


def provenance_path(paths: OutputPaths) -> Path:
    """Where the analyze stage writes the provenance record."""
    return paths.results / "provenance.json"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def display_path(path: Path, root: Path = PROJECT_ROOT) -> str:
    """A path relative to the project, or the bare file name outside it (never absolute),
    with personal data typed into a folder or file name redacted."""
    try:
        shown = Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        shown = Path(path).name
    return redact_path(shown)


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit(root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The code's commit: ``{"commit": "abc1234[-dirty]" | "unknown", "dirty": bool|None}``."""
    head = _git(["rev-parse", "--short=10", "HEAD"], root)
    if not head:
        return {"commit": UNKNOWN, "dirty": None}
    status = _git(["status", "--porcelain", "--untracked-files=no"], root)
    if status is None:
        return {"commit": head, "dirty": None}
    dirty = bool(status)
    return {"commit": f"{head}-dirty" if dirty else head, "dirty": dirty}


def _files(paths: Iterable[Path]) -> list[dict[str, str]]:
    return [{"file": display_path(p), "sha256": sha256_file(p)} for p in paths]


def combined_digest(entries: Iterable[Mapping[str, str]]) -> str:
    """One fingerprint of several files: SHA-256 over ``<sha256>  <file>`` lines in order."""
    text = "".join(f"{e['sha256']}  {e['file']}\n" for e in entries)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = UNKNOWN
    return out


def build_provenance(config: StudyConfig, root: Path = PROJECT_ROOT) -> dict[str, Any]:
    """The full provenance record (what ``results/provenance.json`` holds)."""
    inputs = {
        name: {"file": display_path(spec.path), "sha256": sha256_file(spec.path)}
        for name, spec in config.inputs.items()
    }
    codebook = _files(sorted(Path(config.codebook_dir).glob("*.toml")))
    return {
        "code": git_commit(root),
        "config": {"file": display_path(config.path), "sha256": sha256_file(config.path)},
        "inputs": inputs,
        "codebook": codebook,
        "packages": package_versions(),
        "python": platform.python_version(),
    }


def provenance_stats(record: Mapping[str, Any]) -> dict[str, Any]:
    """The part of the record the title page shows (``stats["provenance"]``)."""
    inputs = list(record["inputs"].values())
    return {
        "algorithm": "SHA-256",
        "commit": record["code"]["commit"],
        "dirty": record["code"]["dirty"],
        "config_sha256": record["config"]["sha256"][:SHORT],
        "data_sha256": combined_digest(inputs)[:SHORT],
        "n_inputs": len(inputs),
        "codebook_sha256": combined_digest(record["codebook"])[:SHORT],
        "n_codebook": len(record["codebook"]),
        "packages": dict(record["packages"]),
        "python": record["python"],
    }
