"""Front matter, introduction, appendix II and the synthetic marking.

Analysis steps on small in-memory frames with numbers checked by hand; the marking on the
rendered PDF of the render-stage fixture results (page header, title metadata) and on a
figure drawn without a footer.
"""

from __future__ import annotations

import io

import pandas as pd
import pypdf
import pytest
from front_fixtures import chapter_module
from matplotlib.figure import Figure
from test_render import write_figures, write_results

from pipeline.stages.plot import FOOTER_GID, add_footer, figure_footer, has_footer
from pipeline.stages.render import render_report
from pipeline.study.plan import load_plan

summary = chapter_module("summary")
introduction = chapter_module("introduction")
appendix = chapter_module("appendix_jobseekers")


def test_summary_response_is_kept_over_raw():
    flow = pd.DataFrame({
        "instrument": ["candidates"] * 3 + ["register"] * 2 + ["control"] * 2,
        "label_nl": ["K"] * 3 + ["R"] * 2 + ["C"] * 2,
        "label_en": ["K"] * 3 + ["R"] * 2 + ["C"] * 2,
        "step": ["raw", "excluded", "kept", "raw", "kept", "raw", "kept"],
        "n": [411, 27, 384, 5, 5, 0, 0],
    })  # fmt: skip
    rows = summary.response(flow)
    assert [r["instrument"] for r in rows] == ["candidates", "control"]  # surveys only
    assert rows[0]["raw"] == 411 and rows[0]["kept"] == 384
    assert rows[0]["share_kept"] == pytest.approx(384 / 411)
    assert rows[1]["share_kept"] is None  # nothing received: not computable


def test_introduction_targets_only_when_every_unit_shares_them():
    units = pd.DataFrame({"unit": ["a", "b"], "doel_contacten": [70, 70],
                          "doel_regulier": [40, 40], "doel_wep": [20, 20]})  # fmt: skip
    assert introduction.unit_targets(units, ["a", "b"]) == {
        "contacten": 70, "regulier": 40, "wep": 20}
    assert introduction.unit_targets(units.assign(doel_wep=[20, 25]), ["a", "b"]) is None
    assert introduction.unit_targets(units.assign(doel_wep=[20, 25]), ["a"])["wep"] == 20


def _jobseekers(codebook, plan) -> pd.DataFrame:
    """Four candidates and three controls; every item answered with its first code
    (numeric items: 1.0), except the hand-checked 'geslacht' and 'leeftijd'."""
    items = appendix.item_specs(codebook, plan)
    data = {"werktop": [1, 1, 1, 1, 0, 0, 0]}
    for item in items:
        spec = item["spec"]
        if spec.name == "gemeente":
            data[spec.name] = [codebook.units[0].id] * 7
        elif spec.kind == "numeric":
            data[spec.name] = [1.0] * 7
        else:
            data[spec.name] = [spec.codes[0]] * 7
    data["geslacht"] = [1, 1, 2, None, 2, 2, 2]  # Werktop 2 men, 1 woman, 1 missing
    data["leeftijd"] = [20, 30, 40, 50, 25, 35, None]
    only = [i["spec"].name for i in items if i["werktop_only"]]
    frame = pd.DataFrame(data)
    frame.loc[frame["werktop"] == 0, only] = None  # not asked of the control group
    return frame


def test_appendix_tables_by_hand(codebook):
    plan = load_plan(codebook)
    tables = appendix.appendix_tables(_jobseekers(codebook, plan), codebook, plan, seed=1)
    cat = tables["appendix_jobseekers_categorical"]
    sex = cat[(cat["item"] == "geslacht") & (cat["group"] == "werktop")]
    assert list(sex["n"]) == [2, 1]
    assert list(sex["pct_valid"]) == pytest.approx([200 / 3, 100 / 3])
    assert set(sex["n_missing"]) == {1} and set(sex["block"]) == {"background"}
    control = cat[(cat["item"] == "geslacht") & (cat["group"] == "control")]
    assert list(control["n"]) == [0, 3]  # level absent from the group kept with 0
    num = tables["appendix_jobseekers_numeric"]
    age = num[num["item"] == "leeftijd"].set_index("group")
    assert age.loc["werktop", "mean"] == pytest.approx(35.0)
    assert age.loc["control", "n_missing"] == 1 and age.loc["control", "mean"] == 30.0
    # Werktop-only items are described for candidates only and not tested
    rm = cat[cat["item"] == "rm_bereikbaar"]
    assert set(rm["group"]) == {"werktop"} and set(rm["block"]) == {"werktop"}
    tests = tables["appendix_jobseekers_tests"]
    assert "rm_bereikbaar" not in set(tests["item"])
    # BH across the appendix: the largest raw p keeps its value
    tested = tests.dropna(subset=["p_val"])
    top = tested["p_val"].idxmax()
    assert tested.loc[top, "p_adj"] == pytest.approx(tested.loc[top, "p_val"])
    assert (tested["p_adj"] >= tested["p_val"] - 1e-12).all()
    for name, spec in {t.name: t for t in appendix.CHAPTER.tables}.items():
        assert tuple(tables[name].columns) == spec.columns


def test_footer_added_to_a_figure_drawn_without_one():
    fig = Figure(figsize=(4, 3), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="a")
    fig.legend(loc="outside lower center")
    assert not has_footer(fig)
    add_footer(fig, "Synthetische gegevens")
    texts = [t.get_text() for t in fig.findobj(lambda a: a.get_gid() == FOOTER_GID)]
    assert texts == ["Synthetische gegevens"]
    assert tuple(fig.get_size_inches()) == pytest.approx((4, 3.28))
    add_footer(fig, "Synthetische gegevens")  # idempotent
    assert len(fig.findobj(lambda a: a.get_gid() == FOOTER_GID)) == 1


def test_footer_only_for_synthetic_studies():
    strings = {"report": {"synthetic_footer": "S"}}
    assert figure_footer({"study": {"synthetic": True}}, strings) == "S"
    assert figure_footer({"study": {"synthetic": False}}, strings) is None


@pytest.mark.parametrize("language, mark, header", [
    ("nl", "SYNTHETISCH", "SYNTHETISCHE GEGEVENS"), ("en", "SYNTHETIC", "SYNTHETIC DATA")])
def test_pdf_is_marked_on_every_page_and_in_its_title(tmp_path, language, mark, header):
    paths = write_results(tmp_path)
    write_figures(paths)
    html_path, pdf_path = render_report(paths, language)
    reader = pypdf.PdfReader(io.BytesIO(pdf_path.read_bytes()))
    assert mark in reader.metadata.title
    assert len(reader.pages) > 2
    for page in reader.pages[1:]:
        assert header in page.extract_text()
    html = html_path.read_text(encoding="utf-8")
    # the front matter, conclusions and appendix reached the report, numbers formatted
    for anchor in ('id="summary"', 'id="reading_guide"', 'id="introduction"',
                   'id="framework"', 'id="conclusions"', 'id="appendix_jobseekers"'):
        assert anchor in html
    assert ("1.269" if language == "nl" else "1,269") in html  # received candidates
    assert "abc1234567" in html and "ba9876543210" in html  # provenance lines
    assert ("0,432" if language == "nl" else "0.432") in html  # appendix BH p


def test_real_data_carries_no_marking(tmp_path):
    paths = write_results(tmp_path, synthetic=False)
    write_figures(paths)
    html_path, pdf_path = render_report(paths, "nl")
    reader = pypdf.PdfReader(io.BytesIO(pdf_path.read_bytes()))
    assert "SYNTHETISCH" not in (reader.metadata.title or "")
    assert "SYNTHETISCHE GEGEVENS" not in reader.pages[1].extract_text()
    # the reading guide of a real study says what data it used, without a synthetic heading
    html = html_path.read_text(encoding="utf-8")
    guide = html[html.index('id="reading_guide"'):]
    guide = guide[:guide.index("</section>")]
    assert "Synthetische gegevens" not in guide and "<h3>Gegevens</h3>" in guide
