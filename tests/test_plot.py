"""Plot stage: figures from the results tables, deterministic PNG and SVG."""

from __future__ import annotations

import pandas as pd
import pytest
from test_render import write_results

from pipeline.report.chapter import load_chapters
from pipeline.stages.plot import plot_figures
from pipeline.study.errors import UserError


def _bytes(paths, language: str = "nl") -> dict[str, bytes]:
    folder = paths.figures_for(language)
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_plot_writes_png_and_svg(tmp_path):
    paths = write_results(tmp_path)
    written = plot_figures(paths, "nl")
    names = sorted(p.name for p in written)
    declared = [f.name for c in load_chapters() for f in c.figures]
    assert names == sorted(f"{name}.{fmt}" for name in declared for fmt in ("png", "svg"))
    assert len(declared) >= 8  # at least eight figures across the report
    for path in written:
        assert path.parent == paths.figures and path.stat().st_size > 1000
    pngs = [p for p in written if p.suffix == ".png"]
    for png in pngs:
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG")
        assert b"Matplotlib version" not in data  # no version string in the metadata
    svg = (paths.figures / "unit_attainment.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "<dc:date>" not in svg


def test_plot_is_deterministic(tmp_path):
    first = write_results(tmp_path / "a")
    second = write_results(tmp_path / "b")
    plot_figures(first, "nl")
    plot_figures(second, "nl")
    a, b = _bytes(first), _bytes(second)
    assert a == b
    plot_figures(first, "nl")  # re-run over existing files
    assert _bytes(first) == a


def test_plot_follows_language_and_data(tmp_path):
    nl = write_results(tmp_path / "nl")
    en = write_results(tmp_path / "en")
    plot_figures(nl, "nl")
    plot_figures(en, "en")
    assert _bytes(nl) != _bytes(en, "en")
    assert sorted(_bytes(en, "en")) == sorted(_bytes(nl))  # English figures in figures/en/
    changed = write_results(tmp_path / "changed")
    table = pd.read_csv(changed.tables / "unit_attainment.csv")
    table.loc[0, "attainment"] = 2.5
    table.to_csv(changed.tables / "unit_attainment.csv", index=False)
    plot_figures(changed, "nl")
    assert _bytes(changed)["unit_attainment.png"] != _bytes(nl)["unit_attainment.png"]
    assert _bytes(changed)["employment_comparison.png"] == _bytes(nl)["employment_comparison.png"]


def test_plot_tolerates_missing_values(tmp_path):
    paths = write_results(tmp_path)
    table = pd.read_csv(paths.tables / "employment_comparison.csv")
    table.loc[1, ["rd_ci_low", "rd_ci_high", "p_adj"]] = float("nan")
    table.to_csv(paths.tables / "employment_comparison.csv", index=False)
    units = pd.read_csv(paths.tables / "unit_attainment.csv")
    units.loc[4, "attainment"] = float("nan")
    units.to_csv(paths.tables / "unit_attainment.csv", index=False)
    declared = [f.name for c in load_chapters() for f in c.figures]
    assert len(plot_figures(paths, "en")) == 2 * len(declared)


def test_missing_table_is_a_user_error(tmp_path):
    paths = write_results(tmp_path)
    (paths.tables / "unit_attainment.csv").unlink()
    with pytest.raises(UserError, match="unit_attainment.csv"):
        plot_figures(paths, "nl")
    assert not paths.figures.exists() or not any(paths.figures.iterdir())


def test_missing_column_is_a_user_error(tmp_path):
    paths = write_results(tmp_path)
    table = pd.read_csv(paths.tables / "employment_comparison.csv").drop(columns=["rd_ci_low"])
    table.to_csv(paths.tables / "employment_comparison.csv", index=False)
    with pytest.raises(UserError, match="rd_ci_low"):
        plot_figures(paths, "nl")


def test_figure_files_lay_out_once_and_give_the_png_of_a_plain_save():
    from test_charts import CHARTS

    from pipeline.report.figure_style import figure_bytes, figure_files

    fig = CHARTS["likert_split"]()
    files = figure_files(fig)
    assert list(files) == ["png", "svg"]
    assert fig.get_layout_engine() is None  # the SVG reused the PNG's layout
    assert files["png"] == figure_bytes(CHARTS["likert_split"](), "png")
    assert files == figure_files(CHARTS["likert_split"]())  # deterministic
    svg = files["svg"].decode("utf-8")
    assert svg.startswith("<?xml") and "'Report Sans'" in svg
