"""What every vendor extractor shares: credentials, the time window, HTTP with retries,
and the column names loading tools give vendor fields.

An extractor reads one vendor's objects over a window ``[since, until)`` of modification
times and yields ``(table, row)`` pairs; ``run.py`` writes them to the landing folder.
Table and column names are those an open loading tool lands (Fivetran's HubSpot,
Salesforce and Marketo schemas), so vendor adapters can map them to the raw contract.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from requests import Response, Session

#: An extractor's output: the landing table a row belongs to, and the row.
Row = tuple[str, dict[str, Any]]


@dataclass(frozen=True)
class Credentials:
    """Where a vendor's API is and how to log in (an Airflow connection's fields).

    ``host`` is the API's base URL (``https://api.hubapi.com``, a Salesforce instance URL,
    a Marketo REST endpoint); a bare host name gets ``https://``. ``login``/``password``
    are the client id and secret (HubSpot: ``password`` is the private app token).
    """

    host: str
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    port: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_connection(cls, conn: Any) -> Credentials:
        """From an Airflow connection (any object with its fields: no Airflow import here)."""
        extra = getattr(conn, "extra_dejson", None) or {}
        return cls(host=conn.host or "", login=conn.login, password=conn.password,
                   port=conn.port, extra=dict(extra))

    @property
    def base_url(self) -> str:
        url = self.host if "://" in self.host else f"https://{self.host}"
        url = url.rstrip("/")
        if self.port and not re.search(r":\d+$", url):
            url = f"{url}:{self.port}"
        return url


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request the vendor refuses for now (429, 5xx,
    Marketo's 606/615). A ``Retry-After`` header, when sent, sets the wait."""

    max_attempts: int = 6
    backoff_factor: float = 1.0
    max_delay: float = 300.0

    @classmethod
    def from_extra(cls, extra: dict[str, Any]) -> RetryPolicy:
        keys = {"max_attempts": int, "backoff_factor": float, "max_delay": float}
        return cls(**{k: t(extra[k]) for k, t in keys.items() if k in extra})


class ExtractError(RuntimeError):
    """A vendor answered with an error that retrying did not cure; the message says which
    request, what the vendor said and what to check."""


class Extractor(Protocol):
    """One vendor's API, read object by object over a modification-time window."""

    vendor: str

    def objects(self) -> list[str]:
        """The objects this extractor reads, each with its own cursor."""
        ...

    def tables(self, obj: str) -> list[str]:
        """Every landing table ``obj`` writes (each gets a folder, rows or none)."""
        ...

    def rows(self, obj: str, since: datetime | None, until: datetime) -> Iterator[Row]:
        """Rows of ``obj`` modified in ``[since, until)`` (``since=None``: everything)."""
        ...


def http_session(policy: RetryPolicy, retry_if: Any = None) -> Session:
    """A requests session that retries 429 and 5xx (honouring ``Retry-After``) and
    connection errors with exponential backoff; ``retry_if(response, exc)`` adds a
    vendor's own retry condition. Errors are raised by the caller, not the session."""
    # Credentials come from our own connections: dlt need not probe Airflow Variables for
    # its secrets (an import of Airflow and a lookup per task), nor report usage.
    os.environ.setdefault("PROVIDERS__ENABLE_AIRFLOW_SECRETS", "false")
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    from dlt.sources.helpers.requests.retry import Client

    client = Client(
        raise_for_status=False,
        request_max_attempts=policy.max_attempts,
        request_backoff_factor=policy.backoff_factor,
        request_max_retry_delay=policy.max_delay,
        retry_condition=retry_if,
        respect_retry_after_header=True,
    )
    return client.session


def check(response: Response, what: str) -> Response:
    """The response, or an :class:`ExtractError` naming the request and the vendor's answer."""
    if response.status_code >= 400:
        raise ExtractError(
            f"{what}: {response.request.method} {response.url} answered "
            f"{response.status_code} after retries: {response.text[:300]!r}; check the "
            "connection's credentials and permissions, or retry later"
        )
    return response


_CAMEL_1 = re.compile(r"([A-Z]+)([A-Z][a-z])")
_CAMEL_2 = re.compile(r"([a-z])([A-Z])")
_DIGITS = re.compile(r"([A-Za-z])([0-9])")
_DIGIT_CAMEL = re.compile(r"([0-9])([A-Z])")


def snake_case(name: str) -> str:
    """A vendor field name as loading tools name the column: ``StageName`` ->
    ``stage_name``, ``Product2Id`` -> ``product_2_id``, ``Foo__c`` -> ``foo_c``,
    ``Campaign Run ID`` -> ``campaign_run_id``, ``createdAt`` -> ``created_at``."""
    s = _CAMEL_1.sub(r"\1_\2", name.strip())
    s = _CAMEL_2.sub(r"\1_\2", s)
    s = _DIGITS.sub(r"\1_\2", s)
    s = _DIGIT_CAMEL.sub(r"\1_\2", s)
    s = re.sub(r"[^0-9A-Za-z]+", "_", s).strip("_").lower()
    return re.sub(r"_+", "_", s)


def iso(ts: datetime) -> str:
    """UTC ISO 8601 with a Z, to the second (``2026-01-05T21:00:00Z``)."""
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_ts(value: str) -> datetime:
    """A vendor timestamp (ISO 8601 with Z, an offset, or ``+0000``) as an aware datetime."""
    v = value.strip()
    if v.endswith("Z+0000"):  # Marketo's asset API writes both
        v = v[:-5]
    v = v.replace("Z", "+00:00")
    v = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", v)
    ts = datetime.fromisoformat(v)
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
