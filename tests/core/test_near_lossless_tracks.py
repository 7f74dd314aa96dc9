"""Near-lossless tracks: the table, the bound each item is held to, the exact check, the SDK and the offer rule."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from challenge.cli import app
from evaluator.core.failures import CodecFailure, failure_kind
from evaluator.core.manifest import ManifestError, validate_manifest
from evaluator.core.tracks import (
    ERROR_BOUNDS,
    NEAR_LOSSLESS_TRACKS,
    PAPER_TRACKS,
    TRACKS,
    get_track,
    offered_tracks,
    select_tracks,
)
from evaluator.data.items import Item
from evaluator.data.noise_floor import background_sigma
from evaluator.run.evaluate import ItemsSource
from evaluator.run.inprocess import evaluate_inprocess
from evaluator.sandbox.verify import check_bound
from evaluator.sdk.server import RequestError, call_encode, serve, supports_bound

MANIFEST = {"name": "q", "version": "1", "authors": ["A"], "license": "MIT", "description": "d"}


def test_every_paper_track_has_one_variant_per_bound_and_the_lossless_tracks_are_unchanged():
    assert len(TRACKS) == 10 and all(t.max_abs_error == 0 and not t.near_lossless for t in TRACKS.values())
    assert len(NEAR_LOSSLESS_TRACKS) == len(PAPER_TRACKS) * len(ERROR_BOUNDS) == 32
    for name in PAPER_TRACKS:
        variants = [v for v in NEAR_LOSSLESS_TRACKS.values() if v.lossless_track == name]
        assert [v.max_abs_error for v in variants] == [1, 2, 4, None]
        base = TRACKS[name]
        for v in variants:  # items are cut exactly as the lossless track cuts them
            assert (v.dataset, v.ndim, v.item, v.row_filter, v.cut) == (base.dataset, base.ndim, base.item,
                                                                        base.row_filter, base.cut)
            assert not v.paper and v.near_lossless
    assert select_tracks("all") == list(TRACKS.values())
    assert select_tracks("near-lossless") == list(NEAR_LOSSLESS_TRACKS.values())
    assert get_track("keck-nl2").bound.label == "\u03b4 = 2"


def test_the_sigma_track_holds_each_item_to_half_its_noise():
    t = get_track("hubble-nlsigma")
    assert t.item_bound(7.9) == 3 and t.item_bound(1.99) == 0 and t.item_bound(None) == 0
    assert get_track("hubble-nl4").item_bound(100.0) == 4 and get_track("hubble").item_bound(100.0) == 0


def test_a_lossless_codec_is_never_offered_a_near_lossless_track():
    asked = select_tracks("keck,keck-nl1,hubble")
    assert [t.name for t in offered_tracks(asked, near_lossless=False)] == ["keck", "hubble"]
    added = [t.name for t in offered_tracks(select_tracks("keck"), near_lossless=True, add_variants=True)]
    assert added == ["keck", "keck-nl1", "keck-nl2", "keck-nl4", "keck-nlsigma"]


def test_cli_lists_the_near_lossless_tracks():
    out = CliRunner().invoke(app, ["tracks"]).output
    assert "Near-lossless tracks" in out and "keck-nl2" in out and "-nlsigma" in out and "sdss-3d-time" in out
    assert max(len(line) for line in out.splitlines()) <= 80  # readable in an 80-column terminal


def test_one_adu_over_the_bound_on_one_pixel_fails_with_the_worst_pixel():
    x = np.full((6, 7), 1000, np.uint16)
    y = x.copy()
    y[1, 1] += 2  # within delta = 2
    check_bound(y, x, 2)
    y[4, 5] = 997  # one ADU over, below the original (no uint16 wrap in the check)
    with pytest.raises(CodecFailure) as err:
        check_bound(y, x, 2)
    assert err.value.kind == "bound_exceeded"
    message = err.value.message
    assert "index (4, 5)" in message and "error 3 ADU" in message and "bound of 2" in message
    z = x.copy()
    z[0, 0] = 0  # 1000 ADU below: int64 difference, not 64536
    with pytest.raises(CodecFailure, match="error 1000 ADU"):
        check_bound(z, x, 4)
    with pytest.raises(CodecFailure) as lossless:
        check_bound(y, x, 0)  # bound 0: the lossless check and its failure kind
    assert lossless.value.kind == "not_lossless"
    assert failure_kind("bound_exceeded").hidden_message  # hidden data: the original's value is never shown


class _Quantiser:
    """Bins of 2d+1, mid-point reconstruction; ``over``: pixel (0, 0) decodes exactly d + 1 ADU off."""

    name, title = "quant", "quantiser"

    def __init__(self, over: bool = False, lossless_only: bool = False) -> None:
        self.over = over

    def encode(self, x: np.ndarray, max_abs_error: int = 0) -> bytes:
        q = (x.astype(np.int64) + max_abs_error) // (2 * max_abs_error + 1)
        head = np.array([max_abs_error, int(x[0, 0]), *x.shape], np.int64).tobytes()
        return head + q.astype(np.uint16).tobytes()

    def decode(self, data: bytes) -> np.ndarray:
        d, first, h, w = (int(v) for v in np.frombuffer(data[:32], np.int64))
        q = np.frombuffer(data[32:], np.uint16).reshape(h, w).astype(np.int64)
        y = np.minimum(q * (2 * d + 1), 65535)
        if self.over and d:
            y[0, 0] = first + d + 1  # one ADU beyond the bound, on one pixel
        return y.astype(np.uint16)


def _items() -> ItemsSource:
    rng = np.random.default_rng(3)
    frames = [(1000 + rng.normal(0, 6, (32, 40))).astype(np.uint16) for _ in range(2)]
    items = [Item(f"i{i}", f) for i, f in enumerate(frames)]
    return ItemsSource({"keck": items, "keck-nl2": items, "keck-nlsigma": items})


def test_in_process_near_lossless_records_the_bound_and_the_errors(tmp_path):
    tracks = select_tracks("keck,keck-nl2,keck-nlsigma")
    records = {r.track: r for r in evaluate_inprocess(_Quantiser(), tracks, _items(), store=str(tmp_path))}
    assert set(records) == {"keck", "keck-nl2", "keck-nlsigma"}
    assert all(r.status == "ok" for r in records.values())
    nl2 = records["keck-nl2"].summary
    assert nl2.bound_max == 2 and nl2.err_abs_max is not None and 0 < nl2.err_abs_max <= 2
    assert nl2.err_rms and 0 < nl2.err_rms <= 2 and nl2.changed_frac and nl2.changed_frac > 0.5
    assert records["keck"].summary.bound_max is None and records["keck"].summary.err_rms is None
    sig = records["keck-nlsigma"].summary  # noise sigma ~6: floor(sigma / 2) per item, as measured
    expected = [int(background_sigma(i.data) // 2) for i in _items().items["keck"]]
    assert (sig.bound_min, sig.bound_max) == (min(expected), max(expected)) and 2 <= min(expected)
    assert sig.err_abs_max is not None and sig.err_abs_max <= max(expected)
    lossless = records["keck"].summary.ratio_mean
    assert nl2.ratio_mean and lossless and nl2.ratio_mean >= lossless


def test_in_process_codec_over_its_bound_by_one_adu_fails_bound_exceeded():
    (rec,) = evaluate_inprocess(_Quantiser(over=True), select_tracks("keck-nl2"), _items())
    assert rec.status == "failed" and rec.failure is not None and rec.failure.kind == "bound_exceeded"
    assert "index (0, 0)" in rec.failure.message and "error 3 ADU" in rec.failure.message


def test_in_process_lossless_codec_gets_no_near_lossless_record():
    class Lossless:
        name, title = "raw", "raw"

        def encode(self, x: np.ndarray) -> bytes:
            return np.array(x.shape, np.int64).tobytes() + x.tobytes()

        def decode(self, data: bytes) -> np.ndarray:
            h, w = np.frombuffer(data[:16], np.int64)
            return np.frombuffer(data[16:], np.uint16).reshape(int(h), int(w))

    records = evaluate_inprocess(Lossless(), select_tracks("keck,keck-nl2,keck-nlsigma"), _items())
    assert [r.track for r in records] == ["keck"] and records[0].status == "ok"


def _serve(encode, lines: list[dict]) -> list[dict]:
    out = io.StringIO()
    stdin = io.StringIO("".join(json.dumps(line) + "\n" for line in lines))
    assert serve(encode, lambda b: np.zeros((1, 1), np.uint16), argv=["encode"], stdin=stdin, stdout=out) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()[1:]]


def test_sdk_passes_the_bound_to_encode_and_refuses_it_for_a_lossless_encode(tmp_path):
    src = tmp_path / "a.npy"
    np.save(src, np.arange(12, dtype=np.uint16).reshape(3, 4))
    seen: list[int] = []

    def near(x: np.ndarray, max_abs_error: int = 0) -> bytes:
        seen.append(max_abs_error)
        return b"x"

    def lossless(x: np.ndarray) -> bytes:
        return b"x"

    assert supports_bound(near) and not supports_bound(lossless)
    req = {"id": "1", "input": str(src), "output": str(tmp_path / "o.bin")}
    assert [a["ok"] for a in _serve(near, [req, {**req, "max_abs_error": 3}])] == [True, True]
    assert seen == [0, 3]
    answers = _serve(lossless, [req, {**req, "max_abs_error": 3}, {**req, "max_abs_error": -1},
                                {**req, "max_abs_error": 1.5}])
    assert answers[0]["ok"] is True
    assert answers[1]["ok"] is False and "lossless-only" in answers[1]["error"]
    assert all(not a["ok"] and "integer >= 0" in a["error"] for a in answers[2:])
    with pytest.raises(RequestError):
        call_encode(lossless, np.zeros((2, 2), np.uint16), 1)


def test_manifest_modes_default_to_lossless_and_must_include_it():
    assert validate_manifest(MANIFEST).modes == ["lossless"] and not validate_manifest(MANIFEST).near_lossless
    m = validate_manifest({**MANIFEST, "modes": ["near-lossless", "lossless"]})
    assert m.modes == ["lossless", "near-lossless"] and m.near_lossless
    for bad in (["near-lossless"], ["lossless", "lossy"], "lossless"):
        with pytest.raises(ManifestError, match="modes"):
            validate_manifest({**MANIFEST, "modes": bad})


def test_the_queue_worker_offers_the_variants_only_to_a_codec_that_declares_them():
    from types import SimpleNamespace

    from submissions.service.worker import _tracks_for

    cfg = SimpleNamespace(tracks="keck,jwst-3d")
    lossless = SimpleNamespace(manifest={"name": "a"}, tracks=None)
    near = SimpleNamespace(manifest={"name": "b", "modes": ["lossless", "near-lossless"]}, tracks=None)
    assert [t.name for t in _tracks_for(lossless, cfg)] == ["keck", "jwst-3d"]
    assert [t.name for t in _tracks_for(near, cfg)] == [  # jwst-3d is beyond the paper: no variants
        "keck", "jwst-3d", "keck-nl1", "keck-nl2", "keck-nl4", "keck-nlsigma"]
    asked = SimpleNamespace(manifest=near.manifest, tracks=["keck"])
    assert [t.name for t in _tracks_for(asked, cfg)][:2] == ["keck", "keck-nl1"]
