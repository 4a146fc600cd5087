"""The structure holds: a chapter and an outcome added from fixtures alone, the confidence
level and multiplicity method from the config, absent optional instruments, and the catalog.

The throwaway chapter lives in a temporary copy of ``pipeline/chapters`` (its folder plus
one registry line); the extra outcome in a temporary copy of the codebook (one plan entry).
No file of the project is edited.
"""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.outputs.catalog import RESULT_COLUMNS, column_info, results_tables
from pipeline.report.chapter import CHAPTERS_DIR, load_chapters
from pipeline.report.numbering import References
from pipeline.stages.analyze import run_analyze
from pipeline.stages.plot import plot_figures
from pipeline.stages.render import render_report
from pipeline.study.codebook import load_codebook
from pipeline.study.config import PROJECT_ROOT, OutputPaths, load_config
from pipeline.study.plan import load_plan

EXAMPLE = PROJECT_ROOT / "studies" / "example.toml"
RAW = PROJECT_ROOT / "data" / "raw" / "example"

EXTRA_OUTCOME = """
[[outcomes]]
name = "geen_werk"
dataset = "jobseekers"
kind = "binary"
family = "primary"
label_nl = "Geen werk of activiteit"
label_en = "No work or activity"
description = "1 = no work or activity (werkstatus 4)"
derivation = { rule = "code_in", source = "werkstatus", codes = [4] }
"""

EXTRA_CHAPTER = '''
"""A throwaway chapter: group sizes of the jobseekers, as a table and a figure."""

from matplotlib.figure import Figure

from pipeline.report.chapter import Chapter, ChapterResults, FigureSpec, TableSpec
from pipeline.report.view import records

SIZES = TableSpec("extra_sizes", ("groep", "n"), "Jobseekers per group",
                  extra_columns={"groep": ("string", "Group")})


def analyze(inputs):
    frame = inputs.data("jobseekers")
    sizes = frame.groupby("groep", sort=True).size().rename("n").reset_index()
    return ChapterResults(tables={"extra_sizes": sizes}, stats={"extra": {"groups": len(sizes)}})


def draw(inputs):
    table = inputs.tables["extra_sizes"]
    fig = Figure(figsize=(3, 2))
    fig.add_subplot().bar(table["groep"], table["n"])
    return fig


CHAPTER = Chapter(
    key="extra",
    tables=(SIZES,),
    figures=(FigureSpec("extra_sizes", ("extra_sizes",), draw),),
    exhibits=("table:extra_sizes", "figure:extra_sizes"),
    stats=("extra.groups",),
    analyze=analyze,
    view=lambda inputs: {"extra_rows": records(inputs.tables["extra_sizes"])},
)
'''

EXTRA_TEMPLATE = """\
<section class="chapter" id="extra">
  <h2><span class="chapter-number">{{ ref.chapter("extra") }}</span> {{ s.extra.title }}</h2>
  <p>{{ s.extra.intro | fill(table=ref.table("extra_sizes"), figure=ref.figure("extra_sizes"),
        next=ref.table("employment_tests")) }}</p>
  <table class="data" id="tab-extra">
  <caption>{{ s.report.table }} {{ ref.table("extra_sizes") }}</caption>
  {% for row in extra_rows %}
  <tr><td>{{ row.groep }}</td><td>{{ row.n | fmt_int }}</td></tr>
  {% endfor %}
  </table>
</section>
"""


def _config(tmp: Path, *, alpha: float, multiplicity: str, codebook: Path | None = None,
            drop: tuple[str, ...] = ()) -> Path:
    """A copy of the example config with absolute paths and the given settings."""
    text = EXAMPLE.read_text(encoding="utf-8").replace('"../data/', f'"{PROJECT_ROOT}/data/')
    text = re.sub(r"(?m)^alpha = .*$", f"alpha = {alpha}", text)
    text = re.sub(r'(?m)^multiplicity = .*$', f'multiplicity = "{multiplicity}"', text)
    if codebook is not None:
        text = re.sub(r'(?m)^codebook = .*$', f'codebook = "{codebook}"', text)
    for instrument in drop:  # remove the [inputs.X] table
        text = re.sub(rf"(?ms)^\[inputs\.{instrument}\].*?(?=^\[|\Z)", "", text)
    path = tmp / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _text(html: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", html_lib.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> dict:
    """The example study with alpha = 0.10, BH correction and a codebook copy that has one
    more outcome in its analysis plan; run through all stages."""
    tmp = tmp_path_factory.mktemp("structure")
    codebook = tmp / "codebook"
    shutil.copytree(PROJECT_ROOT / "data" / "codebook", codebook)
    with (codebook / "analysis_plan.toml").open("a", encoding="utf-8") as fh:
        fh.write(EXTRA_OUTCOME)
    config = _config(tmp, alpha=0.10, multiplicity="fdr_bh", codebook=codebook)
    out = tmp / "out"
    assert main(["run", "--config", str(config), "--out", str(out)]) == 0
    return {"tmp": tmp, "config": config, "out": out}


def test_confidence_level_follows_alpha_everywhere(study):
    html = (study["out"] / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    text = _text(html)
    # not in any text, table header or caption ("95%" alone can be a result, e.g. a share)
    assert "95%-BI" not in text and "95%-betrouwbaarheid" not in text
    assert "90%-BI" in text and "90%-betrouwbaarheidsinterval" in text
    assert "α = 0,10" in text
    stats = json.loads((study["out"] / "results" / "stats.json").read_text())
    assert stats["study"]["confidence"] == pytest.approx(0.90)
    # the intervals themselves are 90% intervals: narrower than the 95% ones of the example
    row = stats["employment"]["werk_regulier"]
    assert row["rd_ci_high"] - row["rd_ci_low"] < 0.11


def test_multiplicity_method_follows_the_config(study):
    stats = json.loads((study["out"] / "results" / "stats.json").read_text())
    assert stats["outcome_family"]["method"] == "fdr_bh"
    html = (study["out"] / "reports" / "werktop_report.html").read_text(encoding="utf-8")
    assert "p (BH)" in html and "Benjamini-Hochberg-correctie" in html
    assert "Holm" not in _text(html)
    # BH by hand: p_(i) * m / i, made monotone from the largest down
    # (on the primary, adjusted estimates: the one entry per outcome that carries p_adj)
    family = stats["outcome_family"]["members"]
    effects = stats["jobseekers"]["effects"]
    rows = {}
    for name in family:
        primary = [e for e in effects[name].values() if e.get("p_adj") is not None]
        assert len(primary) == 1, name
        rows[name] = primary[0]
    p = sorted((rows[n]["p_val"], n) for n in family)
    m, running = len(p), 1.0
    for i in range(m, 0, -1):
        value, name = p[i - 1]
        running = min(running, value * m / i)
        assert rows[name]["p_adj"] == pytest.approx(running, rel=1e-12)


def test_an_outcome_added_to_the_plan_flows_to_data_package_and_report(study):
    out = study["out"]
    jobseekers = pd.read_csv(out / "data/processed/jobseekers.csv")
    status = jobseekers["werkstatus"]
    expected = (status == 4).astype(float).where(status.notna())
    pd.testing.assert_series_equal(jobseekers["geen_werk"], expected, check_names=False)
    package = json.loads((out / "data/processed/datapackage.json").read_text())
    fields = {f["name"]: f for r in package["resources"] if r["name"] == "jobseekers"
              for f in r["schema"]["fields"]}
    assert fields["geen_werk"]["title"] == "No work or activity"
    stats = json.loads((out / "results/stats.json").read_text())
    assert "geen_werk" in stats["outcome_family"]["members"]
    shipped = load_plan(load_codebook(PROJECT_ROOT / "data" / "codebook")).family("primary")
    assert stats["outcome_family"]["size"] == len(shipped) + 1
    html = (out / "reports/werktop_report.html").read_text(encoding="utf-8")
    assert "Geen werk of activiteit" in html


def _add_chapter(tmp: Path) -> Path:
    chapters = tmp / "chapters"
    shutil.copytree(CHAPTERS_DIR, chapters, ignore=shutil.ignore_patterns("__pycache__"))
    folder = chapters / "extra"
    folder.mkdir()
    (folder / "chapter.py").write_text(textwrap.dedent(EXTRA_CHAPTER), encoding="utf-8")
    (folder / "template.html.j2").write_text(EXTRA_TEMPLATE, encoding="utf-8")
    for lang, title in (("nl", "Extra hoofdstuk"), ("en", "Extra chapter")):
        (folder / f"{lang}.toml").write_text(
            f'[extra]\ntitle = "{title}"\n'
            'intro = "Tabel {table} en figuur {figure}; daarna tabel {next}."\n',
            encoding="utf-8",
        )
    registry = chapters / "registry.toml"
    text = registry.read_text(encoding="utf-8")
    registry.write_text(text.replace('    "units",\n', '    "units",\n    "extra",\n'))
    return chapters


def test_a_chapter_added_as_a_folder_and_a_registry_line_is_numbered_and_listed(study):
    before = (study["out"] / "reports/werktop_report.html").read_text(encoding="utf-8")
    chapters = load_chapters(_add_chapter(study["tmp"]))
    keys = [c.key for c in chapters]
    assert keys[keys.index("units") + 1] == "extra"
    out = study["tmp"] / "with_extra"
    shutil.copytree(study["out"], out)
    paths = OutputPaths(out)
    config = load_config(study["config"])
    codebook = load_codebook(config.codebook_dir)
    run_analyze(config, paths, codebook, chapters)
    plot_figures(paths, "nl", chapters)
    html_path, _ = render_report(paths, "nl", chapters)
    after = html_path.read_text(encoding="utf-8")

    assert (out / "results/tables/extra_sizes.csv").is_file()
    assert (out / "figures/extra_sizes.svg").is_file()
    # Table of contents: the new chapter right after the units chapter
    toc_keys = [c.key for c in load_chapters() if c.kind == "chapter"]
    toc_keys.insert(toc_keys.index("units") + 1, "extra")
    toc = re.search(r'<nav class="toc">.*?<ol>(.*?)</ol>', after, flags=re.S).group(1)
    assert re.findall(r'href="#(\w+)"', toc) == toc_keys
    # numbers after it shift by one, everywhere, by key
    old, new = References(load_chapters()), References(chapters)
    assert new.chapter("extra") == str(int(old.chapter("units")) + 1)
    assert new.chapter("employers") == str(int(old.chapter("employers")) + 1)
    assert f'chapter-number">{new.chapter("extra")}</span> Extra hoofdstuk' in after
    for html, ref in ((before, old), (after, new)):
        assert f'chapter-number">{ref.chapter("employers")}</span>' in html
    assert new.table("employment_tests") == str(int(old.table("employment_tests")) + 1)
    assert new.figure("employment_comparison") == str(
        int(old.figure("employment_comparison")) + 1)
    expected = (f"Tabel {new.table('extra_sizes')} en figuur {new.figure('extra_sizes')}; "
                f"daarna tabel {new.table('employment_tests')}.")
    assert expected in _text(after)  # cross-reference by key, into a later chapter
    caption = r'id="tab-employment-tests">\s*<caption><span class="label">Tabel {}\.'
    assert re.search(caption.format(old.table("employment_tests")), before)
    assert re.search(caption.format(new.table("employment_tests")), after)
    assert f'Figuur {new.figure("employment_comparison")}.</span>' in after


def test_chapter_without_its_source_says_so(tmp_path, example_outputs):
    """The study drops the register and the interviews; its folder still holds what the
    earlier version with a register wrote (the example run), and a note someone put there.
    The run removes the stale files of its own kinds and nothing else."""
    config = _config(tmp_path, alpha=0.05, multiplicity="holm", drop=("register", "interviews"))
    out = tmp_path / "out"
    shutil.copytree(example_outputs, out)
    for earlier in ("results/tables/unit_attainment.csv", "figures/unit_attainment.png",
                    "data/processed/units.csv", "data/processed/units.sav"):
        assert (out / earlier).is_file()
    (out / "results/tables/notes.txt").write_text("kept", encoding="utf-8")
    (out / "results/unsuppressed").mkdir()  # from a run with keep_unsuppressed = true
    (out / "results/unsuppressed/employment_comparison.csv").write_text("n\n3\n")
    assert main(["run", "--config", str(config), "--out", str(out)]) == 0
    stats = json.loads((out / "results/stats.json").read_text())
    assert stats["absent"]["units"] == ["register"]
    assert not (out / "results/tables/unit_attainment.csv").exists()
    assert not (out / "figures/unit_attainment.png").exists()
    assert not (out / "figures/unit_attainment.svg").exists()
    assert not (out / "data/processed/units.csv").exists()
    assert not (out / "data/processed/units.sav").exists()
    assert not list((out / "results/unsuppressed").iterdir())
    assert (out / "results/tables/notes.txt").read_text(encoding="utf-8") == "kept"
    assert (out / "results/tables/employment_comparison.csv").is_file()
    text = _text((out / "reports/werktop_report.html").read_text(encoding="utf-8"))
    assert "Resultaten per gemeente" in text and "de studie heeft geen register" in text


def test_every_results_column_is_described():
    for spec in results_tables(load_chapters()).values():
        for column in spec.columns:
            kind, description = column_info(spec, column)
            assert kind in ("string", "integer", "number", "boolean", "date") and description
    assert all(len(v) == 2 for v in RESULT_COLUMNS.values())


def test_targets_lists_every_artifact_per_stage(capsys):
    """Without --out a study builds into build/<config file name>/, as the Makefile's
    bookkeeping (build/example/.make/) expects."""
    assert main(["targets", "--config", str(EXAMPLE)]) == 0
    text = capsys.readouterr().out
    variables = dict(line.split(" := ", 1) for line in text.splitlines() if " := " in line)
    assert "build/example/results/tables/unit_attainment.csv" in variables["RESULTS"].split()
    assert "build/example/reports/werktop_report_en.pdf" in variables["REPORT_en"].split()
    assert "build/example/figures/en/unit_attainment.svg" in variables["FIGURES_en"].split()
    generated = [f for name in ("INGESTED", "RESULTS", "REPORT_nl")
                 for f in variables[name].split()]
    assert generated and all(f.startswith("build/example/") for f in generated)
    assert str(RAW.relative_to(PROJECT_ROOT) / "kandidaten.sav") in variables["INPUTS"]
    assert "pipeline/chapters/units/chapter.py" in variables["CODE_analyze"].split()
