"""The report: one static HTML page per run that opens offline (no server, no network).

Sections (:mod:`kizuna.report.sections`): the ABM funnel by tier and month, the engagement
trend and surging accounts, the MQA list with reasons, KPI against target with the gap,
data quality per entity, lift and calibration of each model, the cross-sell heat map and
attribution. Each reads the marts through a query of its own
(:mod:`kizuna.report.queries`); one whose data is absent says why.

Charts are Altair (Vega-Lite) specs drawn in the browser by Vega-Embed; the Vega,
Vega-Lite and Vega-Embed JavaScript comes from vl-convert and is inlined into the page,
so the file is all a reader needs. Text uses a CJK font stack, so Japanese renders.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from kizuna.report.queries import frame
from kizuna.report.sections import Formats, Section, build_sections
from kizuna.settings import Settings, get_settings
from kizuna.warehouse import Warehouse, connection

log = logging.getLogger(__name__)

#: Where the report is written, under KIZUNA_REPORTS.
REPORT_FILE = "kizuna_report.html"
#: The Vega-Lite version of the inlined JavaScript: the one Altair's specs are written for.
VEGA_LITE = "6.4"
#: Japanese first (Noto CJK from Debian's fonts-noto-cjk, then macOS and Windows fonts).
FONT_STACK = ('"Noto Sans CJK JP", "Noto Sans JP", "Hiragino Kaku Gothic ProN", '
              '"Hiragino Sans", "Yu Gothic", Meiryo, "Source Han Sans JP", system-ui, '
              'sans-serif')
TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class ReportResult:
    path: Path
    sections: list[Section]
    bytes: int
    seconds: float

    @property
    def absent(self) -> dict[str, str]:
        """Sections without data, each with the reason."""
        return {s.key: s.absent for s in self.sections if s.absent}


def report_path(settings: Settings | None = None) -> Path:
    """Where :func:`write_report` writes by default: ``KIZUNA_REPORTS/kizuna_report.html``."""
    return (settings or get_settings()).reports / REPORT_FILE


@functools.cache
def vega_javascript() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (vl-convert's bundle; they land on
    ``window``). Cached: bundling takes seconds."""
    import vl_convert

    # the standard bundle comes with no snippet; the stub wrongly asks for one
    script = vl_convert.javascript_bundle(vl_version=VEGA_LITE)  # type: ignore[call-arg]
    if "</script" in script.lower():  # would end the inline <script> element early
        raise ValueError("the Vega bundle holds '</script': it cannot be inlined")
    return str(script)


def vega_versions() -> dict[str, str]:
    import vl_convert

    return {"vega": vl_convert.get_vega_version(), "vega_lite": VEGA_LITE,
            "vega_embed": vl_convert.get_vega_embed_version()}


def data_date(wh: Warehouse) -> str:
    """The data date the marts were built for (the latest scoring date), if built."""
    if not wh.columns("marts", "mart_account_scores"):
        return "not built yet"
    value = frame(wh, "SELECT max(as_of_date) AS d FROM marts.mart_account_scores")["d"].iloc[0]
    return "not built yet" if value is None else str(value)[:10]


def render(sections: list[Section], settings: Settings, built_for: str,
           when: datetime | None = None) -> str:
    """The page: the sections, their charts as Vega-Lite specs and the inlined JavaScript."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    charts: list[dict[str, Any]] = []
    views = []
    for s in sections:
        ids: list[str] = []
        for spec in s.charts:
            ids.append(f"chart-{s.key}-{len(ids) + 1}")
            charts.append({"id": ids[-1], "spec": spec})
        views.append({**s.__dict__, "chart_ids": ids})
    when = when or datetime.now(UTC)
    return env.get_template("report.html.j2").render(
        sections=views, charts=charts,
        embed_options={"renderer": "svg", "actions": False,
                       "config": {"font": FONT_STACK, "view": {"stroke": None}}},
        javascript=Markup(vega_javascript()), versions=vega_versions(),
        font_stack=Markup(FONT_STACK), data_date=built_for,
        warehouse=settings.warehouse, currency=settings.currency,
        generated_at=when.strftime("%Y-%m-%d %H:%M UTC"))


def write_report(settings: Settings | None = None, out: Path | None = None) -> ReportResult:
    """Read the marts, draw every section and write the page (``out``, else
    :func:`report_path`); replaces the previous report whole."""
    s = settings or get_settings()
    path = Path(out) if out is not None else report_path(s)
    t0 = time.monotonic()
    with connection(s, read_only=True) as wh:
        sections = build_sections(wh, Formats(s.currency))
        built_for = data_date(wh)
    html = render(sections, s, built_for)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_text(html, encoding="utf-8")
    part.replace(path)  # a reader never sees half a page
    result = ReportResult(path, sections, path.stat().st_size, time.monotonic() - t0)
    log.info("report %s: %d sections (%d without data), %.1f MB in %.1fs", path,
             len(sections), len(result.absent), result.bytes / 1e6, result.seconds)
    return result


__all__ = ["ReportResult", "report_path", "write_report"]
