"""Write entity frames as landing files, the way each source delivers them.

Input grain: one frame per raw table, one row per delivered record version, with the
contract's columns in internal form (timestamps as int seconds of JST wall time, dates
as day numbers, text as str with '' for missing) plus ``_day``, the JST day of the
folder the row belongs to. Output: ``landing/<source>/<entity>/<yyyy-mm-dd>/
part-NNNN.<ext>`` plus the done marker, written as ``.part`` files renamed when
complete. Format, encoding, delimiter, timezone and vendor column names come from the
delivery spec (``kizuna.sources.config``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kizuna.contract import Entity
from kizuna.sources.config import DeliverySpec

log = logging.getLogger(__name__)

EXTENSION = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
_JST = "Asia/Tokyo"
_JST_ALIASES = {"Asia/Tokyo", "Japan", "JST", "Etc/GMT-9"}
_BATCH_ROWS = 500_000  # rows formatted at once (whole days; one day may exceed it)
# amounts are whole units in the simulated world: written as integers
_ARROW = {"text": pa.string(), "int": pa.int64(), "amount": pa.int64(), "float": pa.float64(),
          "bool": pa.bool_(), "date": pa.date32(), "timestamp": pa.timestamp("us")}


def _local_seconds(sec: np.ndarray, tz: str) -> tuple[np.ndarray, np.ndarray]:
    """JST wall-clock seconds -> (wall-clock seconds in ``tz``, UTC offset in seconds)."""
    if tz in _JST_ALIASES:
        return sec, np.full(len(sec), 9 * 3600)
    utc = pd.to_datetime(sec - 9 * 3600, unit="s").tz_localize("UTC")
    local = utc.tz_convert(tz)
    offset = local.map(lambda x: int(x.utcoffset().total_seconds())).to_numpy()
    return sec - 9 * 3600 + offset, offset


def _iso(sec: np.ndarray, sep: str) -> np.ndarray:
    s = np.datetime_as_string(sec.astype("datetime64[s]"), unit="s")
    return np.char.replace(s, "T", sep) if sep != "T" else s


def _offset_text(offset: np.ndarray) -> np.ndarray:
    if len(offset) > 1 and (offset == offset[0]).all():  # one zone without DST: one text
        return np.full(len(offset), _offset_text(offset[:1])[0])
    sign = np.where(offset < 0, "-", "+")
    a = np.abs(offset)
    return np.char.add(np.char.add(sign, np.char.zfill((a // 3600).astype(str), 2)),
                       np.char.add(":", np.char.zfill((a % 3600 // 60).astype(str), 2)))


def _text_columns(frame: pd.DataFrame, entity: Entity, spec: DeliverySpec,
                  for_json: bool) -> dict[str, np.ndarray]:
    """Each column as an object array of strings; None for missing (JSON null)."""
    out: dict[str, np.ndarray] = {}
    for col in entity.columns:
        v = frame[col.name]
        if col.type == "timestamp":
            raw = v.to_numpy()
            missing = pd.isna(raw)
            sec = np.where(missing, 0, raw).astype(np.int64)
            local, offset = _local_seconds(sec, spec.timezone)
            text = _iso(local, "T" if for_json else " ")
            if for_json:
                text = np.char.add(text, _offset_text(offset))
            arr = text.astype(object)
            arr[missing] = None
        elif col.type == "date":
            raw = v.to_numpy()
            missing = pd.isna(raw)
            arr = np.datetime_as_string(np.where(missing, 0, raw).astype(np.int64).astype(
                "datetime64[D]"), unit="D").astype(object)
            arr[missing] = None
        elif col.type == "bool":
            raw = v.to_numpy()
            missing = pd.isna(raw)
            arr = np.where(raw.astype(bool), "true", "false").astype(object)
            arr[missing] = None
        elif col.type in ("int", "amount"):
            raw = v.to_numpy()
            missing = pd.isna(raw)
            arr = np.where(missing, 0, raw).astype(np.int64).astype(str).astype(object)
            arr[missing] = None
        elif col.type == "float":
            raw = v.to_numpy(dtype=float)
            missing = np.isnan(raw)
            arr = np.array([repr(round(x, 6)) for x in raw], dtype=object)
            arr[missing] = None
        else:
            arr = v.to_numpy(dtype=object).copy()
            arr[pd.isna(arr) | (arr == "")] = None
        out[col.name] = arr
    return out


def _csv_lines(cols: dict[str, np.ndarray], spec: DeliverySpec) -> list[str]:
    frame = pd.DataFrame({k: np.where(pd.isna(v), "", v) for k, v in cols.items()})
    body = frame.to_csv(index=False, header=False, sep=spec.delimiter, lineterminator="\n")
    lines = body.split("\n")
    return lines[:-1]


def _json_lines(cols: dict[str, np.ndarray], entity: Entity) -> pa.StringArray:
    """One JSON object per row, each ending in a newline (built by Arrow, not per row)."""
    parts: list[pa.Array | str] = []
    for k, col in enumerate(entity.columns):
        values = pa.array(cols[col.name], type=pa.string(), from_pandas=True)
        if col.type in ("int", "amount", "float", "bool"):
            enc = values  # already JSON literals: 12, 0.5, true
        else:
            enc = pc.binary_join_element_wise('"', values, '"', "")
            special = pc.fill_null(pc.match_substring_regex(values, r'["\\\x00-\x1f]'), False)
            if pc.any(special).as_py():  # quotes, backslashes, control characters
                escaped = [json.dumps(x, ensure_ascii=False)
                           for x in pc.filter(values, special).to_pylist()]
                enc = pc.replace_with_mask(enc, special, pa.array(escaped, type=pa.string()))
        parts += [("{" if k == 0 else ",") + json.dumps(col.name) + ":",
                  pc.fill_null(enc, "null")]
    return pc.binary_join_element_wise(*parts, "}\n", "")


def _joined(lines: pa.StringArray, start: int, stop: int) -> bytes:
    """UTF-8 bytes of ``lines[start:stop]`` back to back (one slice of Arrow's buffer)."""
    part = lines.slice(start, stop - start)
    offsets = np.frombuffer(part.buffers()[1], dtype=np.int32)[part.offset:]
    return part.buffers()[2][offsets[0]:offsets[len(part)]].to_pybytes()


def _encode_utf8(data: bytes, encoding: str, path: Path) -> bytes:
    """Text already in UTF-8, in the file's encoding."""
    if encoding in ("utf-8", "auto"):
        return data
    if encoding == "utf-8-sig":
        return b"\xef\xbb\xbf" + data
    return _encode(data.decode("utf-8"), encoding, path)


def _parquet_table(frame: pd.DataFrame, entity: Entity, spec: DeliverySpec,
                   headers: list[str]) -> pa.Table:
    arrays = []
    for col in entity.columns:
        v = frame[col.name]
        if col.type == "timestamp":
            raw = v.to_numpy()
            missing = pd.isna(raw)
            local, _ = _local_seconds(np.where(missing, 0, raw).astype(np.int64), spec.timezone)
            arr = pa.array(local.astype("datetime64[s]").astype("datetime64[us]"),
                           type=pa.timestamp("us"), mask=missing)
        elif col.type == "date":
            raw = v.to_numpy()
            missing = pd.isna(raw)
            arr = pa.array(np.where(missing, 0, raw).astype(np.int32), type=pa.date32(),
                           mask=missing)
        elif col.type == "text":
            vals = v.to_numpy(dtype=object)
            arr = pa.array([None if (x is None or x == "" or x != x) else x for x in vals],
                           type=pa.string())
        else:
            raw = v.to_numpy()
            missing = pd.isna(raw)
            arr = pa.array(np.where(missing, 0, raw).astype(
                {"int": np.int64, "amount": np.int64, "float": np.float64,
                 "bool": bool}[col.type]),
                type=_ARROW[col.type], mask=missing)
        arrays.append(arr)
    return pa.Table.from_arrays(arrays, names=headers)


def _encode(text: str, encoding: str, path: Path) -> bytes:
    # a reader that detects the encoding ("auto") is given UTF-8
    encoding = "utf-8" if encoding == "auto" else encoding
    try:
        return text.encode(encoding, errors="strict")
    except UnicodeEncodeError as err:
        line = text.count("\n", 0, err.start) + 1
        raise ValueError(
            f"{path}: line {line} holds {text[err.start:err.end]!r}, which {encoding} cannot "
            f"encode; keep that source's text within {encoding} or change its encoding in "
            f"the source configuration") from err


def _atomic_write(path: Path, data: bytes | None, table: pa.Table | None = None) -> None:
    tmp = path.with_name(path.name + ".part")
    if table is not None:
        pq.write_table(table, tmp, compression="snappy")
    else:
        tmp.write_bytes(data or b"")
    os.replace(tmp, path)


def write_entity(frame: pd.DataFrame, spec: DeliverySpec, landing: Path, max_rows: int,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write one entity's rows into its daily folders. Returns rows per folder date."""
    entity = spec.entity
    if len(frame) == 0:
        return {}
    frame = frame.sort_values("_day", kind="stable").reset_index(drop=True)
    to_vendor = {contract: vendor for vendor, contract in spec.columns.items()}
    headers = [to_vendor.get(c, c) for c in entity.column_names]
    renamed = Entity(entity.source, entity.name, entity.key, tuple(
        type(c)(h, c.type, c.required) for c, h in zip(entity.columns, headers, strict=True)),
        entity.description)
    days = frame["_day"].to_numpy()
    uniq, starts = np.unique(days, return_index=True)
    bounds = [*starts.tolist(), len(frame)]
    head = ""
    if spec.format == "csv":
        head = pd.DataFrame(columns=headers).to_csv(index=False, sep=spec.delimiter,
                                                    lineterminator="\n")
    ext = EXTENSION[spec.format]
    counts: dict[str, int] = {}
    base = landing / entity.source / entity.name
    k = 0
    while k < len(uniq):
        # format a batch of whole days at a time: bounded memory at any scale
        k_end = k + 1
        while k_end < len(uniq) and bounds[k_end + 1] - bounds[k] <= _BATCH_ROWS:
            k_end += 1
        lo_batch = bounds[k]
        batch = frame.iloc[lo_batch: bounds[k_end]]
        lines: list[str] = []
        json_lines = pa.array([], type=pa.string())
        if spec.format == "csv":
            lines = _csv_lines(_text_columns(batch, entity, spec, for_json=False), spec)
        elif spec.format == "jsonl":
            cols = _text_columns(batch, entity, spec, for_json=True)
            json_lines = _json_lines({h: cols[c] for h, c in zip(
                headers, entity.column_names, strict=True)}, renamed)
        for day_k in range(k, k_end):
            lo, hi = bounds[day_k], bounds[day_k + 1]
            day = str(np.datetime64(int(uniq[day_k]), "D"))
            folder = base / day
            folder.mkdir(parents=True, exist_ok=True)
            for part, start in enumerate(range(lo, hi, max_rows), start=1):
                stop = min(start + max_rows, hi)
                path = folder / f"part-{part:04d}{ext}"
                if spec.format == "parquet":
                    table = _parquet_table(frame.iloc[start:stop], entity, spec, headers)
                    _atomic_write(path, None, table)
                elif spec.format == "jsonl":
                    data = _joined(json_lines, start - lo_batch, stop - lo_batch)
                    _atomic_write(path, _encode_utf8(data, spec.encoding, path))
                else:
                    rows = lines[start - lo_batch: stop - lo_batch]
                    text = head + "".join(x + "\n" for x in rows)
                    _atomic_write(path, _encode(text, spec.encoding, path))
            if spec.done_marker:
                (folder / spec.done_marker).write_bytes(b"")
            counts[day] = hi - lo
        if progress is not None:
            progress(k_end, len(uniq))
        k = k_end
    log.debug("wrote %s rows of %s into %s folders", len(frame), entity.table, len(uniq))
    return counts
