"""Encodings of delivered files: detect UTF-8 or CP932, and transcode to UTF-8 for DuckDB.

Streamed in chunks, never per row.
"""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path


def is_utf8(path: Path) -> bool:
    """True if the file decodes strictly as UTF-8 (with or without a BOM)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        with path.open("rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """``encoding: auto``: UTF-8 when the file is strictly valid UTF-8, else CP932."""
    return "utf-8" if is_utf8(path) else "cp932"


def starts_with_bom(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(3) == codecs.BOM_UTF8


def transcode_to_utf8(src: Path, encoding: str, tmpdir: Path) -> tuple[Path, bool]:
    """Stream a file to UTF-8 (DuckDB reads UTF-8 only).

    Undecodable bytes become U+FFFD (which CP932 cannot produce), so the rows holding them
    can be quarantined; returns the new path and whether any byte was undecodable.
    """
    dst = tmpdir / (hashlib.sha1(str(src).encode()).hexdigest() + src.suffix)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    replaced = False
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        for chunk in iter(lambda: fin.read(1 << 20), b""):
            text = decoder.decode(chunk)
            replaced = replaced or "\ufffd" in text
            fout.write(text)
        text = decoder.decode(b"", final=True)
        fout.write(text)
    return dst, replaced or "\ufffd" in text
