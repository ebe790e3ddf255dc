"""The keyed hash of erased people and the suppression list the loader reads.

Shared by the erasure (:mod:`kizuna.erasure`, which writes it) and the loader
(:mod:`kizuna.ingest`, which reads it); neither imports the other.

Nothing here holds personal data: an e-mail address or a record id is kept only as
HMAC-SHA256 under the project's erasure key, so the audit can prove a request was carried
out, and the loader can recognise the same person arriving again, without anyone being
able to read back who it was (a plain hash of an e-mail address is reversed by hashing a
list of candidates; a keyed one is not, without the key).

The key is ``KIZUNA_ERASURE_KEY`` (any string; a team deployment sets it like its other
secrets). Without it, the first erasure creates a random one in
``$KIZUNA_HOME/secrets/erasure.key`` (mode 600). Keep the key: with another one, erased
people are no longer recognised when a source delivers them again.

Tables (schema ``audit``):

- ``erasure_requests``: one row per e-mail address erased: its keyed hash, the request,
  who ran it and when, and how many lead and contact records the request resolved to;
- ``erasure_removals``: one row per request x table or file: rows removed there;
- ``erased_keys``: the suppression list, one row per keyed hash (``email`` for a
  normalised e-mail address, ``id`` for a lead or contact id the person's records had).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kizuna.contract import LogicalType
from kizuna.normalise import normalise_email
from kizuna.settings import Settings
from kizuna.warehouse import Warehouse

KEY_FILE = Path("secrets") / "erasure.key"
#: Kinds of erased keys: a normalised e-mail address, and a lead or contact id (the ids of
#: the two sources never collide: ``L...`` and ``CON...``, and a hash is per kind anyway).
EMAIL = "email"
RECORD_ID = "id"
#: Contract columns whose values identify a person, by the kind of key they hold.
PERSON_COLUMNS: dict[str, str] = {"email": EMAIL, "lead_id": RECORD_ID, "contact_id": RECORD_ID}

ERASURE_DDL = (
    """CREATE TABLE IF NOT EXISTS audit.erasure_requests (
    request_id {text} NOT NULL,
    email_hmac {text} NOT NULL,
    requested_at {timestamp} NOT NULL,
    completed_at {timestamp} NOT NULL,
    actor {text} NOT NULL,
    records_resolved {int} NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS audit.erasure_removals (
    request_id {text} NOT NULL,
    location_type {text} NOT NULL,
    location {text} NOT NULL,
    rows_removed {int} NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS audit.erased_keys (
    key_kind {text} NOT NULL,
    key_hmac {text} NOT NULL,
    request_id {text} NOT NULL
)""",
)
#: The erasure's own tables: the only place its keyed hashes are kept, never searched.
ERASURE_TABLES = ("erasure_requests", "erasure_removals", "erased_keys")


class ErasureKeyError(RuntimeError):
    """Erased people are on the suppression list but no erasure key is set to recognise
    them; the message says what to set."""


def ensure_tables(wh: Warehouse) -> None:
    """Create the erasure's audit tables if they do not exist."""
    kinds: tuple[LogicalType, ...] = ("text", "int", "timestamp")
    types: dict[str, str] = {k: wh.sql_type(k) for k in kinds}
    wh.execute("CREATE SCHEMA IF NOT EXISTS audit")
    for ddl in ERASURE_DDL:
        wh.execute(ddl.format(**types))


def erasure_key(settings: Settings, create: bool = False) -> bytes | None:
    """The project's erasure key: ``KIZUNA_ERASURE_KEY``, else the key file under the home
    (made when ``create``), else ``None``."""
    if settings.erasure_key:
        return settings.erasure_key.encode()
    path = settings.home / KEY_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip().encode()
    if not create:
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode()


def keyed_hash(key: bytes, kind: str, value: str) -> str:
    """HMAC-SHA256 of ``kind:value`` under ``key``, in hex."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def person_value(kind: str, value: object) -> str | None:
    """The form of a delivered value that is hashed: a normalised e-mail, a stripped id."""
    if value is None:
        return None
    text = str(value)
    return normalise_email(text) if kind == EMAIL else (text.strip() or None)


@dataclass(frozen=True)
class SuppressionList:
    """The keyed hashes of erased people, per kind, and the key to hash new values with."""

    key: bytes
    hashes: dict[str, frozenset[str]]

    def erased(self, kind: str, values: Iterable[object]) -> set[str]:
        """Which of ``values`` (as delivered) belong to an erased person."""
        known = self.hashes.get(kind, frozenset())
        if not known:
            return set()
        out = set()
        for value in values:
            text = person_value(kind, value)
            if text is not None and keyed_hash(self.key, kind, text) in known:
                out.add(str(value))
        return out


def suppression_list(wh: Warehouse, settings: Settings) -> SuppressionList | None:
    """The suppression list, or ``None`` while nobody has been erased."""
    if not wh.columns("audit", "erased_keys"):
        return None
    rows = wh.query("SELECT DISTINCT key_kind, key_hmac FROM audit.erased_keys")
    if not rows:
        return None
    key = erasure_key(settings)
    if key is None:
        raise ErasureKeyError(
            f"audit.erased_keys lists {len(rows)} erased key(s) but no erasure key is set: "
            f"set KIZUNA_ERASURE_KEY (or restore {settings.home / KEY_FILE}) to the key the "
            "erasures were made with, so erased people are kept out of new loads.")
    hashes: dict[str, set[str]] = {}
    for kind, digest in rows:
        hashes.setdefault(str(kind), set()).add(str(digest))
    return SuppressionList(key, {k: frozenset(v) for k, v in hashes.items()})
