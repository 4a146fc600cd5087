"""Provenance record: file hashes, combined fingerprints, git commit without git."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pipeline.outputs import provenance


def test_sha256_of_a_file(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"abc")
    # FIPS 180-2 test vector for "abc"
    assert provenance.sha256_file(path) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")


def test_combined_digest_is_over_ordered_lines():
    entries = [{"file": "x.csv", "sha256": "aa"}, {"file": "y.csv", "sha256": "bb"}]
    expected = hashlib.sha256(b"aa  x.csv\nbb  y.csv\n").hexdigest()
    assert provenance.combined_digest(entries) == expected
    assert provenance.combined_digest(entries[::-1]) != expected


def test_paths_are_never_absolute(tmp_path: Path):
    assert provenance.display_path(tmp_path / "data.csv") == "data.csv"
    assert provenance.display_path(provenance.PROJECT_ROOT / "studies" / "example.toml") == (
        "studies/example.toml")


def test_commit_is_unknown_outside_a_repository(tmp_path: Path):
    assert provenance.git_commit(tmp_path) == {"commit": "unknown", "dirty": None}


def test_stats_summary_shortens_fingerprints():
    record = {
        "code": {"commit": "abc", "dirty": False},
        "config": {"file": "s.toml", "sha256": "f" * 64},
        "inputs": {"a": {"file": "a.csv", "sha256": "0" * 64}},
        "codebook": [{"file": "c.toml", "sha256": "1" * 64}],
        "packages": {"pandas": "2"}, "python": "3.11",
    }  # fmt: skip
    stats = provenance.provenance_stats(record)
    assert stats["config_sha256"] == "f" * 12 and stats["n_inputs"] == 1
    assert len(stats["data_sha256"]) == 12 and stats["commit"] == "abc"
