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


def _counting(chapters, drawn: list[str]):
    """The chapters with every figure's draw function counting its calls in ``drawn``."""
    from dataclasses import replace

    def counted(spec):
        def draw(inputs):
            drawn.append(spec.name)
            return spec.draw(inputs)
        return replace(spec, draw=draw)

    return tuple(replace(c, figures=tuple(counted(f) for f in c.figures)) for c in chapters)


def test_plot_redraws_only_figures_whose_inputs_changed(tmp_path, monkeypatch):
    import json

    import pipeline.stages.plot as plot_stage
    from pipeline.report.strings import load_strings

    paths = write_results(tmp_path)
    drawn: list[str] = []
    chapters = _counting(load_chapters(), drawn)
    declared = sorted(f.name for c in chapters for f in c.figures)
    plot_figures(paths, "nl", chapters)
    assert sorted(drawn) == declared
    first = _bytes(paths)
    drawn.clear()
    plot_figures(paths, "nl", chapters)  # nothing changed: every figure from its files
    assert drawn == [] and _bytes(paths) == first

    # a string one figure read: that figure (and any other that read it) is redrawn
    cache = json.loads(plot_stage.figure_cache_path(paths, "nl").read_text())
    log = cache["figures"]["unit_attainment"]["strings"]
    leaf = next(p for p, h in log.items() if h not in (None, "table", "present")
                and not p.endswith("*") and "synthetic_footer" not in p)
    readers = sorted(n for n, e in cache["figures"].items() if leaf in e["strings"])
    strings = load_strings("nl", chapters)
    node = strings
    *parents, last = leaf.split("\x1f")
    for part in parents:
        node = node[part]
    node[last] = str(node[last]) + " (gewijzigd)"
    strings["zz_unused"] = {"text": "nobody reads this"}
    monkeypatch.setattr(plot_stage, "load_strings", lambda *a, **k: strings)
    plot_figures(paths, "nl", chapters)
    assert sorted(drawn) == readers and "unit_attainment" in readers
    changed = _bytes(paths)
    assert changed["unit_attainment.svg"] != first["unit_attainment.svg"]
    assert all(changed[f"{n}.svg"] == first[f"{n}.svg"] for n in declared if n not in readers)

    # a changed table: the figures drawn from it
    drawn.clear()
    table = pd.read_csv(paths.tables / "unit_attainment.csv")
    table.loc[0, "attainment"] = 2.5
    table.to_csv(paths.tables / "unit_attainment.csv", index=False)
    plot_figures(paths, "nl", chapters)
    users = sorted(f.name for c in chapters for f in c.figures if "unit_attainment" in f.tables)
    assert sorted(drawn) == users

    # a figure file changed by hand is drawn again, not trusted
    drawn.clear()
    (paths.figures / "employment_comparison.png").write_bytes(b"not a png")
    plot_figures(paths, "nl", chapters)
    assert drawn == ["employment_comparison"]
