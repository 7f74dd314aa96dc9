"""A codec's own report of its bitstream (issue 24, item 2): the SDK's ``Encoded``, the ``ok`` answer's optional
fields checked as hostile input, the items table's cells and the record's summary (``coding_bpp``, ``side_bpp``,
``coding_overhead``)."""

from __future__ import annotations

import io
import json
import math
import socket
import struct
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from challenge.sdk import Encoded, serve
from evaluator.core.failures import CodecFailure
from evaluator.core.metrics import track_summary
from evaluator.core.schema import ItemRow, TrackSummary
from evaluator.core.tracks import TRACKS
from evaluator.data.items import Item
from evaluator.results.records import ResultRecord, ResultStore, item_frame
from evaluator.run.evaluate import ItemsSource
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.run.track_run import _shown_report
from evaluator.sandbox.protocol import CodecReport, JsonLinesClient, StderrTail
from evaluator.sdk.server import MAX_CODING_BITS
from leaderboard.data.record_rows import RECORD_COLUMNS, record_row

# -- the SDK ------------------------------------------------------------------------------------------------------


def test_encoded_is_bytes_with_a_report() -> None:
    e = Encoded(b"abcdefgh", coding_bits=40.25, side_bits=16)
    assert isinstance(e, bytes) and e == b"abcdefgh" and len(e) == 8
    assert type(e[2:]) is bytes and type(bytes(e)) is bytes  # slices are plain bytes
    assert e.report() == {"coding_bits": 40.25, "side_bits": 16}
    assert Encoded(b"xy").report() == {}
    numpy_int = Encoded(b"xy", side_bits=np.int64(3))  # type: ignore[arg-type]  # numpy numbers are taken too
    assert numpy_int.report() == {"side_bits": 3} and type(numpy_int.side_bits) is int


@pytest.mark.parametrize("kw, field", [
    ({"coding_bits": math.nan}, "coding_bits"), ({"coding_bits": -1.0}, "coding_bits"),
    ({"coding_bits": math.inf}, "coding_bits"), ({"coding_bits": "12"}, "coding_bits"),
    ({"coding_bits": True}, "coding_bits"), ({"side_bits": 65}, "side_bits"), ({"side_bits": 1.0}, "side_bits"),
    ({"side_bits": -8}, "side_bits"), ({"coding_bits": 8 * 2**40 + 1}, "coding_bits"),
])
def test_encoded_refuses_what_the_evaluator_would(kw: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        Encoded(b"12345678", **kw)  # type: ignore[arg-type]


def _serve(mode: str, encode: object, tmp_path: Path) -> dict[str, object]:
    src, dst = tmp_path / "a.npy", tmp_path / "a.bin"
    np.save(src, np.arange(12, dtype=np.uint16).reshape(3, 4))
    if mode == "decode":
        src, dst = dst, tmp_path / "b.npy"
        src.write_bytes(b"stream")
    line = json.dumps({"id": "7", "input": str(src), "output": str(dst)}) + "\n"
    out = io.StringIO()
    assert serve(encode, lambda b: np.zeros((2, 2), np.uint16), argv=[mode], stdin=io.StringIO(line),  # type: ignore[arg-type]
                 stdout=out) == 0
    answer: dict[str, object] = json.loads(out.getvalue().splitlines()[1])
    return answer


def test_serve_adds_the_report_to_the_ok_answer(tmp_path: Path) -> None:
    bits = 1234.5678901234567
    answer = _serve("encode", lambda x: Encoded(x.tobytes(), coding_bits=bits, side_bits=40), tmp_path)
    assert answer == {"id": "7", "ok": True, "coding_bits": bits, "side_bits": 40}  # the float exactly
    assert (tmp_path / "a.bin").read_bytes() == np.arange(12, dtype=np.uint16).tobytes()
    assert _serve("encode", lambda x: x.tobytes(), tmp_path) == {"id": "7", "ok": True}  # plain bytes: no report
    assert _serve("encode", lambda x: Encoded(x.tobytes()), tmp_path) == {"id": "7", "ok": True}
    assert _serve("decode", lambda x: b"", tmp_path) == {"id": "7", "ok": True}
    bad = _serve("encode", lambda x: Encoded(x.tobytes(), coding_bits=-3.0), tmp_path)
    assert bad["ok"] is False and "coding_bits" in str(bad["error"])


# -- the evaluator: hostile values ---------------------------------------------------------------------------------


@pytest.mark.parametrize("answer, field", [
    ({"coding_bits": math.nan}, "coding_bits"), ({"coding_bits": math.inf}, "coding_bits"),
    ({"coding_bits": -0.5}, "coding_bits"), ({"coding_bits": 10**400}, "coding_bits"),
    ({"coding_bits": MAX_CODING_BITS + 1}, "coding_bits"), ({"coding_bits": "100"}, "coding_bits"),
    ({"coding_bits": True}, "coding_bits"), ({"coding_bits": [1.0]}, "coding_bits"),
    ({"side_bits": 1.5}, "side_bits"), ({"side_bits": -1}, "side_bits"), ({"side_bits": "8"}, "side_bits"),
    ({"side_bits": False}, "side_bits"), ({"side_bits": math.nan}, "side_bits"), ({"side_bits": 10**30}, "side_bits"),
])
def test_hostile_reports_are_protocol_failures(answer: dict[str, object], field: str) -> None:
    with pytest.raises(CodecFailure) as exc:
        CodecReport.parse({"id": "1", "ok": True, **answer}, "encoder")
    assert exc.value.kind == "protocol" and f"reported {field}" in exc.value.message and "allowed:" in exc.value.message


def test_reports_parse_and_side_bits_fit_the_output() -> None:
    assert CodecReport.parse({"ok": True}) == CodecReport()
    assert CodecReport.parse({"coding_bits": None, "side_bits": None}) == CodecReport()
    r = CodecReport.parse({"coding_bits": 12, "side_bits": 16})
    assert r == CodecReport(12.0, 16) and isinstance(r.coding_bits, float)
    assert r.check_size(2) is r
    with pytest.raises(CodecFailure, match=r"side_bits = 17; allowed: at most 8 x the output's 2 bytes") as exc:
        CodecReport(1.0, 17).check_size(2, "encoder")
    assert exc.value.kind == "protocol"


def _frame(stream: int, data: bytes) -> bytes:
    return struct.pack(">BxxxL", stream, len(data)) + data


@pytest.mark.parametrize("extra, report", [
    (b', "coding_bits": 1e3, "side_bits": 24', CodecReport(1000.0, 24)),
    (b', "coding_bits": NaN', None),
    (b', "side_bits": "lots"', None),
])
def test_the_client_hands_back_the_report(extra: bytes, report: CodecReport | None) -> None:
    ours, theirs = socket.socketpair()

    def codec() -> None:
        theirs.sendall(_frame(1, b'{"ready": true}\n'))
        rid = json.loads(theirs.recv(4096))["id"]
        theirs.sendall(_frame(1, b'{"id": "' + rid.encode() + b'", "ok": true' + extra + b"}\n"))

    threading.Thread(target=codec, daemon=True).start()
    c = JsonLinesClient(ours, line_cap=1024, stderr=StderrTail(64), name="encoder")
    c.start()
    c.wait_ready(5)
    try:
        if report is None:
            with pytest.raises(CodecFailure) as exc:
                c.request("1", "i", "o", 5)
            assert exc.value.kind == "protocol"
        else:
            answer = c.request("1", "i", "o", 5)
            assert answer.report == report and 0 <= answer.seconds < 5
    finally:
        c.close()
        theirs.close()


def test_hidden_data_keeps_four_significant_digits() -> None:
    r = CodecReport(123456.789, 987654)
    assert _shown_report(r, hidden=False) is r
    assert _shown_report(r, hidden=True) == CodecReport(123500.0, 987700)
    assert _shown_report(CodecReport(None, 0), hidden=True) == CodecReport(None, 0)


# -- the record: items, summary, JSON ------------------------------------------------------------------------------


def _row(i: int, nbytes: int, coding: float | None, side: int | None, npix: int = 1000) -> ItemRow:
    return ItemRow(item_id=f"i{i}", shape="10x100", npix=npix, compressed_bytes=nbytes, bpp=8 * nbytes / npix,
                   ratio=2 * npix / nbytes, encode_s=0.1, decode_s=0.1, noise_sigma=None, noise_bpp=None,
                   exptime=None, status="ok", failure_kind=None, failure_message=None, coding_bits=coding,
                   side_bits=side)


def test_summary_pools_the_reports() -> None:
    rows = [_row(0, 500, 3900.0, 64), _row(1, 300, 2300.0, 80, npix=600)]
    s = track_summary(rows, failed=False)
    assert s.coding_bpp == pytest.approx(6200 / 1600) and s.side_bpp == pytest.approx(144 / 1600)
    assert s.coding_overhead == pytest.approx((8 * 800 - 144) / 6200 - 1)
    partial = track_summary([*rows, _row(2, 100, None, 8)], failed=False)  # one item said nothing of its NLL
    assert partial.coding_bpp is None and partial.coding_overhead is None and partial.side_bpp == pytest.approx(
        152 / 2600)
    none = track_summary([_row(0, 500, None, None)], failed=False)
    assert (none.coding_bpp, none.side_bpp, none.coding_overhead) == (None, None, None)
    zero = track_summary([_row(0, 500, 0.0, 0)], failed=False)
    assert zero.coding_bpp == 0.0 and zero.coding_overhead is None  # no division by zero
    assert track_summary(rows, failed=True).coding_bpp is None


def test_store_round_trips_and_old_tables_and_records_load(tmp_path: Path) -> None:
    store = ResultStore(str(tmp_path / "store"))
    rows = [_row(0, 500, 3900.123456789, 64), _row(1, 300, 2300.0, 80)]
    summary = track_summary(rows, failed=False)
    rec = ResultRecord(submission="s", codec="c", track="hubble", profile="cpu-1", split="x", provenance="verified",
                       synthetic=True, status="ok", summary=summary)
    store.write(rec, rows)
    back = store.read(rec.key)
    assert back.summary == summary and back.summary.coding_overhead == summary.coding_overhead  # exact
    items = store.items(rec.key)
    assert list(items["coding_bits"]) == [3900.123456789, 2300.0] and list(items["side_bits"]) == [64, 80]
    stored: list[dict[str, object]] = [{str(k): v for k, v in r.items()} for r in items.to_dict("records")]
    assert track_summary(stored, failed=False) == summary  # the campaign merge's path
    # an items table written before the report existed: the columns are filled in empty, and read back empty
    old = item_frame(rows).drop(columns=["coding_bits", "side_bits"])
    store.write(rec, old)
    assert store.items(rec.key)["coding_bits"].isna().all()
    assert track_summary([{str(k): v for k, v in r.items()} for r in old.to_dict("records")],
                         failed=False).coding_bpp is None
    # a record written before: the fields are absent, and load as None
    data = json.loads(rec.to_json())
    for key in ("coding_bpp", "side_bpp", "coding_overhead"):
        del data["summary"][key]
    assert ResultRecord.from_dict(data).summary.coding_bpp is None
    assert TrackSummary.from_dict(data["summary"]).coding_overhead is None


def test_board_rows_carry_the_codec_reported_columns() -> None:
    assert {"coding_bpp", "side_bpp", "coding_overhead"} <= set(RECORD_COLUMNS)
    rec = ResultRecord(submission="s", codec="c", track="hubble", profile="cpu-1", split="x", provenance="verified",
                       synthetic=True, status="ok", summary=TrackSummary(coding_bpp=5.5, coding_overhead=0.0003))
    row = record_row(rec.key, rec)
    assert row["coding_bpp"] == 5.5 and row["coding_overhead"] == 0.0003 and row["side_bpp"] is None
    from evaluator.core.schema import metric  # noqa: PLC0415

    assert all("codec's report" in metric(m).label for m in ("coding_bpp", "side_bpp", "coding_overhead"))


# -- the in-process path reads the same fields -------------------------------------------------------------------


class _ReportingCodec:
    """Stores the array; reports made-up figures (``tamper``: a side_bits over the stream, set after the fact)."""

    name = title = "reporting"

    def __init__(self, tamper: bool = False) -> None:
        self.tamper = tamper

    def encode(self, x: np.ndarray) -> bytes:
        data = np.ascontiguousarray(x).tobytes()
        out = Encoded(data, coding_bits=4.0 * x.size, side_bits=0)
        if self.tamper:
            out.side_bits = 8 * len(data) + 1
        return out

    def decode(self, data: bytes) -> np.ndarray:
        return np.frombuffer(data, np.uint16).reshape(8, 8).copy()


def test_inprocess_records_the_report_and_refuses_a_bad_one() -> None:
    item = Item(id="a", data=np.arange(64, dtype=np.uint16).reshape(8, 8))
    src = ItemsSource({"hubble": [item]})
    store = ResultStore("memory://codec-report")
    (rec,) = evaluate_inprocess(_ReportingCodec(), [TRACKS["hubble"]], src, store)
    assert rec.status == "ok" and rec.summary.coding_bpp == 4.0 and rec.summary.side_bpp == 0.0
    assert rec.summary.coding_overhead == pytest.approx(8 * 128 / 256 - 1)
    row = store.items(rec.key).iloc[0]
    assert row["coding_bits"] == 256.0 and row["side_bits"] == 0
    (bad,) = evaluate_inprocess(_ReportingCodec(tamper=True), [TRACKS["hubble"]], src)
    assert bad.status == "failed" and bad.failure is not None and bad.failure.kind == "protocol"
    assert "side_bits" in bad.failure.message and pd.isna(bad.summary.coding_bpp)
