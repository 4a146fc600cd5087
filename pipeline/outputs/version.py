"""The package version and the commit of the code, for ``--version`` and the run summary."""

from __future__ import annotations

from pipeline.study.config import PROJECT_ROOT

__all__ = ["package_version", "version_text"]


def package_version() -> str:
    """The installed package's version; in a source tree without metadata, pyproject's."""
    from importlib import metadata

    try:
        return metadata.version("werktop-eval")
    except metadata.PackageNotFoundError:
        pass
    import tomllib

    try:
        with (PROJECT_ROOT / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        from pipeline import __version__

        return __version__


def version_text() -> str:
    """``werktop-eval 0.1.0 (commit abc1234567)``; the commit only when the code runs from
    a git checkout (``-dirty`` when tracked files have uncommitted changes)."""
    text = f"werktop-eval {package_version()}"
    if (PROJECT_ROOT / ".git").exists():  # not an unrelated repository around site-packages
        from pipeline.outputs.provenance import UNKNOWN, git_commit

        commit = git_commit(PROJECT_ROOT)["commit"]
        if commit != UNKNOWN:
            text += f" (commit {commit})"
    return text
