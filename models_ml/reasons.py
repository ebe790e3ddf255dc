"""The top reasons behind each account's score, in words (templates in reason_templates.yml).

Ceteris paribus, vectorised: for every group of features (one story: "pricing page
visits", "deal history"...) the group's values are replaced by the population's typical
values (median; most frequent category) for all accounts at once, and the model scores
the altered rows. The drop in an account's score is how much that story lifts it; the
groups with the largest positive drops are its reasons, rendered with the account's own
values. An account with fewer stories lifting it (a low score) is explained by what
holds it back: the groups that lower its score most, in their ``low_template`` words.
A prospect (a company that is not a customer) is read in its group's ``prospect`` words,
and a story that never happened to a row (its ``never`` values) is never its reason: every
reason is true of the company it explains.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

TEMPLATES = Path(__file__).with_name("reason_templates.yml")


#: The column that says whether a row's company is a customer (1) or a prospect (0): a
#: prospect's reasons are worded for a prospect (its group's ``prospect`` words).
CUSTOMER_FLAG = "is_customer"


@dataclass(frozen=True)
class ReasonWords:
    """How one audience reads a group: the words when it lifts the score (``template``,
    or ``trend_template`` on a rising trend), when it lowers it (``low_template``), and
    the values that mean the story never happened (``never``: feature -> value, e.g. a
    count of 0 or the 3,650 days a mart gives an account with no deal): a row holding one
    gets no ``template`` words, and one holding a ``low_never`` value no ``low_template``
    words."""

    template: str | None = None
    trend_template: str | None = None
    low_template: str | None = None
    never: Mapping[str, object] = field(default_factory=dict)
    low_never: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ReasonWords:
        return cls(doc.get("template"), doc.get("trend_template"), doc.get("low_template"),
                   dict(doc.get("never") or {}), dict(doc.get("low_never") or {}))


@dataclass(frozen=True)
class ReasonGroup:
    features: tuple[str, ...]
    words: ReasonWords
    trend: tuple[str, str] | None = None
    min_trend: float = 1.5
    #: The words for a company that is not a customer; None: ``words`` are true of both.
    prospect_words: ReasonWords | None = None

    def words_for(self, prospect: bool) -> ReasonWords:
        return self.prospect_words if prospect and self.prospect_words is not None else self.words

    def render(self, row: Mapping[str, object], values: _Values | None = None,
               prospect: bool = False) -> str | None:
        """The words for a group that lifts the score (None when a value it names is
        unknown: "0 employees" would mislead, or when the story never happened to this
        row). ``values``: the row's ``_values``, when the caller renders several groups
        of one row; ``prospect``: the row's company is not a customer."""
        words = self.words_for(prospect)
        template = words.template
        if (template is None or _unknown(template, row) or self._nothing_happened(row)
                or _holds(row, words.never)):
            return None
        values = _values(row) if values is None else values
        if self.trend and words.trend_template:
            recent = float(row.get(self.trend[0]) or 0)  # type: ignore[arg-type]
            monthly_before = float(row.get(self.trend[1]) or 0) / 2  # type: ignore[arg-type]
            if monthly_before > 0 and recent / monthly_before >= self.min_trend:
                return words.trend_template.format_map(
                    _Values(values, trend=recent / monthly_before, recent=recent))
        return template.format_map(values)

    def _nothing_happened(self, row: Mapping[str, object]) -> bool:
        """Every feature of the group is 0: an absence lifting the score is the model's
        quirk, not a reason anyone acts on ("0 people active")."""
        values = [row[f] for f in self.features if f in row]
        numbers = [v for v in values if isinstance(v, int | float | np.number)]
        return bool(values) and len(numbers) == len(values) and all(v == 0 for v in numbers)

    def render_low(self, row: Mapping[str, object], values: _Values | None = None,
                   prospect: bool = False) -> str | None:
        """The words for a group that lowers the score (None when it has none)."""
        words = self.words_for(prospect)
        low = words.low_template
        if not low or _unknown(low, row) or _holds(row, words.low_never):
            return None
        return low.format_map(_values(row) if values is None else values)


def _holds(row: Mapping[str, object], never: Mapping[str, object]) -> bool:
    """Whether the row holds one of the values that mean its story never happened."""
    return any(name in row and row[name] == value for name, value in never.items())


def _unknown(template: str, row: Mapping[str, object]) -> bool:
    """Whether a value the template names is missing from the row or null."""
    return any(name in row and pd.isna(row[name]) for name in _named(template))


@functools.cache
def _named(template: str) -> frozenset[str]:
    """The values a template names."""
    return frozenset(field.split(".")[0].split("[")[0]
                     for _, field, _, _ in string.Formatter().parse(template) if field)


class _Values(dict):
    """A row's values for a template: a value missing or null reads as 0 (a count the
    model does not have) rather than failing the whole scoring run."""

    def __missing__(self, key: str) -> int:
        return 0


def _values(row: Mapping[str, object]) -> _Values:
    return _Values({k: (0 if v is None or (isinstance(v, float) and np.isnan(v)) else v)
                    for k, v in row.items()})


@functools.cache
def load_templates(kind: str, path: Path = TEMPLATES) -> tuple[ReasonGroup, ...]:
    """The reason groups of ``kind`` (propensity, lookalike, cross_sell)."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return tuple(
        ReasonGroup(tuple(g["features"]), ReasonWords.from_doc(g),
                    tuple(g["trend"]) if g.get("trend") else None,
                    float(g.get("min_trend", 1.5)),
                    ReasonWords.from_doc(g["prospect"]) if "prospect" in g else None)
        for g in doc[kind])


def usable_groups(groups: Sequence[ReasonGroup], columns: Sequence[str]
                  ) -> list[tuple[ReasonGroup, list[str]]]:
    """The groups with at least one feature among ``columns``, with those features."""
    present = set(columns)
    out = []
    for group in groups:
        features = [f for f in group.features if f in present]
        if features:
            out.append((group, features))
    return out


def typical_values(X: pd.DataFrame) -> dict[str, object]:
    """Median of each numeric column, most frequent value of each other one."""
    out: dict[str, object] = {}
    for col in X.columns:
        if pd.api.types.is_numeric_dtype(X[col]):
            out[col] = float(X[col].median()) if X[col].notna().any() else 0.0
        else:
            mode = X[col].mode(dropna=True)
            out[col] = mode.iloc[0] if len(mode) else None
    return out


def contributions(predict: Callable[[pd.DataFrame], np.ndarray], X: pd.DataFrame,
                  groups: Sequence[tuple[ReasonGroup, list[str]]],
                  reference: dict[str, object] | None = None) -> np.ndarray:
    """(rows x groups): the score minus the score with the group's features made typical."""
    reference = reference if reference is not None else typical_values(X)
    base = np.asarray(predict(X), dtype=float)
    altered = []
    for _, features in groups:
        copy = X.copy()
        for f in features:
            copy[f] = reference[f]
        altered.append(copy)
    if not altered:
        return np.zeros((len(X), 0))
    scores = np.asarray(predict(pd.concat(altered, ignore_index=True)), dtype=float)
    return base[:, None] - scores.reshape(len(groups), len(X)).T


def top_reasons(deltas: np.ndarray, groups: Sequence[tuple[ReasonGroup, list[str]]],
                display: pd.DataFrame, k: int = 3, min_delta: float = 1e-6
                ) -> list[list[str | None]]:
    """The ``k`` reasons of each row, rendered with ``display``'s row (which holds every
    value the templates name): the groups that lift its score most, then, when fewer
    than ``k`` lift it, the groups that lower it most (their ``low_template``); None
    where there are fewer still. A row whose :data:`CUSTOMER_FLAG` is 0 is a prospect's
    and gets the prospect's words (rows without the column get the groups' own words)."""
    lifts = np.argsort(-deltas, axis=1, kind="stable")
    drops = np.argsort(deltas, axis=1, kind="stable")
    prospects = prospect_rows(display)
    out: list[list[str | None]] = []
    # plain dicts: a pandas row per account cost more than the model's rescoring
    records = display.to_dict("records")
    for i in range(len(deltas)):
        row = records[i]
        values = _values(row)
        prospect = bool(prospects[i])
        reasons: list[str | None] = []
        for j in lifts[i]:
            if len(reasons) >= k or deltas[i, j] <= min_delta:
                break
            words = groups[j][0].render(row, values, prospect)
            if words is not None and words not in reasons:
                reasons.append(words)
        for j in drops[i]:
            if len(reasons) >= k or deltas[i, j] >= -min_delta:
                break
            words = groups[j][0].render_low(row, values, prospect)
            if words is not None and words not in reasons:
                reasons.append(words)
        out.append(reasons + [None] * (k - len(reasons)))
    return out


def prospect_rows(display: pd.DataFrame) -> np.ndarray:
    """Whether each row is a prospect's (:data:`CUSTOMER_FLAG` 0 or null; all False
    when the rows do not say)."""
    if CUSTOMER_FLAG not in display:
        return np.zeros(len(display), dtype=bool)
    return ~(pd.to_numeric(display[CUSTOMER_FLAG]).fillna(0).to_numpy() > 0)
