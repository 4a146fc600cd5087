"""The codebook loader and the generated analysts' document."""

import shutil

import pytest

from pipeline.codebook import load_codebook, normalise_label
from pipeline.codebook_doc import codebook_markdown
from pipeline.config import DEFAULT_CODEBOOK, PROJECT_ROOT
from pipeline.errors import UserError


def test_candidate_and_control_share_one_core(codebook):
    cand = codebook.instruments["candidates"]
    ctrl = codebook.instruments["control"]
    core = set(cand.names) & set(ctrl.names)
    assert {"werkstatus", "ze_lukt", "bej_serieus", "gemeente"} <= core
    assert "rm_cijfer" in cand.names and "rm_cijfer" not in ctrl.names
    assert cand.variable("ze_twijfel") == ctrl.variable("ze_twijfel")
    assert "jobseeker_core.toml" in cand.source_files


def test_scales_know_their_reverse_items(codebook):
    scale = {s.name: s for s in codebook.instruments["control"].scales}["eigen_effectiviteit"]
    assert set(scale.reverse_items) == {"ze_twijfel", "ze_onzeker"}
    assert (scale.minimum, scale.maximum) == (1, 5)


def test_unit_aliases_cover_the_mug_members(codebook):
    table = codebook.unit_alias_table()
    for name in ("Groesbeek", "Ubbergen", "Millingen aan de Rijn", "M.U.G."):
        assert table[normalise_label(name)].id == "mug"


def test_a_broken_codebook_is_a_user_error(tmp_path):
    target = tmp_path / "codebook"
    shutil.copytree(DEFAULT_CODEBOOK, target)
    path = target / "control.toml"
    path.write_text(path.read_text().replace('values = "ja_nee"', 'values = "ja_nee_typo"'))
    with pytest.raises(UserError, match="unknown value set 'ja_nee_typo'"):
        load_codebook(target)


def test_committed_codebook_document_is_current(codebook):
    committed = (PROJECT_ROOT / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert committed == codebook_markdown(codebook), "run `make codebook-doc` and commit"
