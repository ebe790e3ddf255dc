"""The report opened in a real browser (Debian's headless chromium, over DevTools).

The session's names-only world (300 accounts, 15 months, a company database of names and
numbers only: ``names_only_world``), reported twice: as it was before any model was trained
(the model sections say why) and after ``train`` and ``score`` (every section the data
supports draws). Each page must load from its file alone, with no console error and no
network request, and every chart must draw marks; Japanese text must render with a CJK
font, amounts in yen.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pytest

from report.browser import PageVisit, open_page

if TYPE_CHECKING:
    from conftest import TrainedWorld

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("names_only_world")]

#: What the page holds once the charts settled: per chart container its SVG marks, per
#: section whether it is absent and its text.
SEEN = """(() => ({
  drawn: Number(document.body.dataset.chartsDrawn),
  failed: Number(document.body.dataset.chartsFailed),
  charts: [...document.querySelectorAll('.chart')].map(c => ({
    id: c.id,
    drawings: c.querySelectorAll('svg, canvas').length,
    marks: c.querySelectorAll('svg g.role-mark > *').length})),
  sections: Object.fromEntries([...document.querySelectorAll('section')].map(s => [s.id, {
    absent: s.dataset.absent === 'true', text: s.innerText}])),
  text: document.body.innerText,
}))()"""
ALL_SECTIONS = {"funnel", "engagement", "mqa", "kpi", "quality", "models", "cross_sell",
                "attribution"}
#: The sections that read scores: empty until a model is trained and scoring has run.
MODEL_SECTIONS = {"models", "cross_sell"}


@pytest.fixture(scope="module")
def world(names_only_world: TrainedWorld) -> Iterator[Path]:
    """KIZUNA_HOME of the trained world (the environment points at it for the module)."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in names_only_world.world.environment().items():
            mp.setenv(key, value)
        for var in ("KIZUNA_MODELS", "KIZUNA_REPORTS"):
            mp.delenv(var, raising=False)
        yield names_only_world.world.home


def visit(path: Path) -> PageVisit:
    return open_page(path, SEEN, fonts_of="#funnel h2 .ja")


@pytest.fixture(scope="module")
def untrained(names_only_world: TrainedWorld) -> tuple[Any, PageVisit]:
    """The report of the world's warehouse as it was before any model was trained."""
    from kizuna.report import write_report

    home = names_only_world.untrained
    with pytest.MonkeyPatch.context() as mp:
        for key, value in names_only_world.world.environment(home).items():
            mp.setenv(key, value)
        for var in ("KIZUNA_MODELS", "KIZUNA_REPORTS"):
            mp.delenv(var, raising=False)
        result = write_report(out=home / "reports" / "untrained.html")
    return result, visit(result.path)


@pytest.fixture(scope="module")
def trained(world: Path) -> tuple[Any, PageVisit]:
    """The report after training and scoring."""
    from kizuna.pipeline import write_report

    result = write_report()
    return result, visit(result.path)


def query(home: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(home / "warehouse" / "kizuna.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def assert_opens_offline_and_draws(page: PageVisit) -> None:
    seen = page.value
    assert page.errors == []
    assert [u for u in page.requests if not u.startswith("file:")] == []
    assert seen["failed"] == 0
    assert seen["drawn"] == len(seen["charts"]) > 0
    for chart in seen["charts"]:
        assert chart["drawings"] == 1, chart["id"]
        assert chart["marks"] > 0, chart["id"]


def mqa_names(home: Path) -> set[str]:
    """The accounts that are MQA on the data date, as the CRM names them."""
    return {name for (name,) in query(home, """
        SELECT a.account_name FROM marts.mart_account_scores s
        JOIN marts.dim_abm_accounts a USING (account_key) WHERE s.is_latest AND s.is_mqa""")}


def test_before_any_model_the_model_sections_say_why_and_the_others_draw(
        names_only_world, untrained):
    result, page = untrained
    # a company database of names only gives no account the fit an MQA needs: the MQA
    # section then says so rather than drawing an empty list
    without_mqa = set() if mqa_names(names_only_world.untrained) else {"mqa"}
    assert set(result.absent) == MODEL_SECTIONS | without_mqa
    assert "kizuna ml train" in result.absent["models"]
    assert "no cross-sell model has scored yet" in result.absent["cross_sell"]
    if without_mqa:
        assert "no account is an MQA on the data date" in result.absent["mqa"]
    sections = page.value["sections"]
    assert set(sections) == ALL_SECTIONS
    for key in MODEL_SECTIONS | without_mqa:
        assert sections[key]["absent"]
        assert result.absent[key] in sections[key]["text"]
    drawn_sections = {c["id"].split("-")[1] for c in page.value["charts"]}
    assert drawn_sections == ALL_SECTIONS - MODEL_SECTIONS - without_mqa
    assert_opens_offline_and_draws(page)


def test_the_scored_report_opens_offline_with_no_console_error_and_every_chart_drawn(
        world, trained):
    result, page = trained
    assert result.path == world / "reports" / "kizuna_report.html"
    assert_opens_offline_and_draws(page)
    champions = {name for (name,) in query(
        world, "SELECT model_name FROM ml.model_registry WHERE is_champion")}
    assert champions, "the world trains at least one champion"
    sections = page.value["sections"]
    assert not sections["models"]["absent"]
    for name in champions:
        assert name in sections["models"]["text"]
    scored = query(world, "SELECT count(*) FROM marts.mart_cross_sell_matrix")[0][0]
    assert sections["cross_sell"]["absent"] == (scored == 0)
    charted = {c["id"].split("-")[1] for c in page.value["charts"]}
    assert charted == {k for k, s in sections.items() if not s["absent"]}


def test_japanese_text_renders_with_a_cjk_font(world, trained):
    _, page = trained
    text = page.value["text"]
    for heading in ("ABM ファネル", "MQA 一覧", "データ品質", "クロスセル ヒートマップ"):
        assert heading in text
    # the account names of the MQA and surging lists come through as written
    from kizuna.report import queries
    from kizuna.warehouse import connection

    with connection(read_only=True) as wh:
        surging = set(queries.engagement(wh).surging["account_name"])
    mqa = mqa_names(world)
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", n) for n in surging | mqa)
    assert all(n in page.value["sections"]["engagement"]["text"] for n in surging)
    assert all(n in page.value["sections"]["mqa"]["text"] for n in mqa)
    cjk = {family for family in page.fonts if "CJK" in family or family.endswith(" JP")}
    assert cjk, f"the Japanese heading was drawn with {page.fonts} (no CJK font)"


def test_amounts_are_in_yen(world, trained):
    _, page = trained
    (pipeline,) = query(world, """
        SELECT sum(attributed_pipeline_jpy) FROM marts.kpi_campaign_attribution
        WHERE attribution_model = 'linear' AND channel = 'email'""")[0]
    assert f"￥{round(pipeline):,}" in page.value["sections"]["attribution"]["text"]


def test_the_command_line_writes_the_report_where_asked(world, trained, tmp_path):
    from typer.testing import CliRunner

    from kizuna.cli import app

    out = tmp_path / "elsewhere" / "report.html"
    run = CliRunner().invoke(app, ["report", "--out", str(out)])
    assert run.exit_code == 0, run.output
    assert str(out) in run.output.replace("\n", "")
    html = out.read_text(encoding="utf-8")
    assert "window.vegaEmbed=" in html  # the JavaScript is inlined: no <script src=...>
    assert not re.search(r"<script[^>]+src=", html)
