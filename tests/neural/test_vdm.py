"""The VDM likelihood bound: finite, trainable, deterministic, its spread, its records, the shipped numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from baselines.neural.data import CropSampler, load_images, validation_patches
from baselines.neural.vdm import VDM, VDM_CONFIGS, stratified_times
from baselines.neural.vdm_estimate import estimate_item, estimate_track
from baselines.neural.vdm_records import (
    SUBMISSION,
    estimate_record,
    seed_vdm_estimates,
    shipped_entries,
)
from baselines.neural.vdm_train import (
    PAPER_TRACKS,
    checkpoint_path,
    load_vdm,
    train,
    validation_bpp,
)
from evaluator.core.tracks import TRACKS
from evaluator.data.data_source import resolve_source
from evaluator.data.items import Item
from evaluator.results.records import ResultStore

pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def hubble():
    return load_images("synthetic", ["hubble"], frames=1, residual_input=False)


def _gaussian_patches(sigma: float, n: int = 16, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.round(torch.randn(n, 1, 32, 32, generator=g) * sigma)


def test_bound_of_gaussian_noise_is_near_its_entropy_and_finite():
    """Untrained, the preconditioned model bounds integer Gaussian noise close to its entropy."""
    torch.manual_seed(0)
    model = VDM(VDM_CONFIGS["tiny"], 1).eval()
    for sigma in (4.0, 30.0):
        u = _gaussian_patches(sigma)
        n = u.shape[0]
        low, high = torch.full((n, 1), -30000.0), torch.full((n, 1), 30000.0)
        g = torch.Generator().manual_seed(1)
        with torch.no_grad():
            bits = [float(model.bound_bits(u, torch.full((n,), sigma), low, high, stratified_times(n, g),
                                           g).total.sum()) / u.numel() for _ in range(8)]
        entropy = math.log2(sigma) + 0.5 * math.log2(2 * math.pi * math.e)
        assert all(math.isfinite(b) for b in bits)
        assert entropy - 0.15 < float(np.mean(bits)) < entropy + 0.4, (sigma, np.mean(bits), entropy)


def test_bound_decreases_with_a_few_training_steps(hubble):
    torch.manual_seed(0)
    model = VDM(VDM_CONFIGS["tiny"], 1)
    val = validation_patches(hubble.val, "direct", limit=48)
    before = validation_bpp(model, val, seed=3, samples=4)
    steps, _ = train(model, CropSampler(hubble.train, "direct", 0), 120.0, lr=3e-3, batch=16, max_steps=40)
    after = validation_bpp(model, val, seed=3, samples=4)
    assert steps == 40
    assert math.isfinite(before) and math.isfinite(after)
    assert after < before, (before, after)


def _item() -> Item:
    src = resolve_source("synthetic")
    item = next(iter(src.iter_items(TRACKS["sdss-2d"])))
    return Item(item.id, np.ascontiguousarray(item.data[:64, :64]), item.meta)


def test_bound_is_deterministic_for_a_seed_and_its_spread_shrinks_with_samples():
    torch.manual_seed(0)
    model = VDM(VDM_CONFIGS["tiny"], 1).eval()
    meta = {"frames": 1, "residual_input": False}
    item = _item()
    a = estimate_item(model, meta, item, samples=4, seed=7)
    b = estimate_item(model, meta, item, samples=4, seed=7)
    c = estimate_item(model, meta, item, samples=4, seed=8)
    assert a.samples == b.samples and a.samples != c.samples
    many = estimate_item(model, meta, item, samples=64, seed=7)
    assert many.samples[:4] == a.samples  # sample k is seeded by k: more samples extend the same draws
    assert 0 < many.stderr < a.stderr
    assert abs(many.bpp - a.bpp) < 4 * a.stderr + 1e-9
    assert a.side_bpp == pytest.approx(4 * 8 * 3 / item.npix)  # 4 patches, 3 bytes each, per raw pixel


def test_records_are_estimates_with_implied_ratio_and_spread(tmp_path):
    torch.manual_seed(0)
    model = VDM(VDM_CONFIGS["tiny"], 1).eval()
    item = _item()
    est = estimate_item(model, {"frames": 1, "residual_input": False}, item, samples=3)
    entry = {"track": "sdss-2d", "split": "synthetic-small-s0:full_test", "synthetic": True,
             "created_at": "2026-12-01T00:00:00+00:00", "info": {"samples": 3, "seed": 0},
             "items": [{"item_id": item.id, "shape": list(item.data.shape), "npix": item.npix, "bpp": est.bpp,
                        "stderr": est.stderr, "samples": list(est.samples), "seconds": est.seconds}]}
    rec, items = estimate_record(entry)
    assert rec.provenance == "estimate" and rec.neural and rec.status == "ok"
    assert rec.summary.ratio_mean == pytest.approx(16.0 / est.bpp)
    assert rec.summary.bpp_stderr == pytest.approx(est.stderr)
    assert "not a codec" in rec.manifest["kind"] and "implied" in rec.manifest["ratio"]
    assert items["compressed_bytes"].isna().all()  # no bitstream
    store = ResultStore(str(tmp_path / "results"))
    store.write(rec, items)
    back = store.read(rec.key)
    assert back.provenance == "estimate" and back.summary.bpp_stderr == pytest.approx(est.stderr)


def test_committed_checkpoints_are_small_and_load():
    for track in PAPER_TRACKS:
        path = checkpoint_path(track)
        assert path.stat().st_size < 2_000_000
        _, meta = load_vdm(path)
        assert meta["model"] == "vdm" and meta["in_channels"] == (3 if track.startswith("sdss-3d") else 1)
        assert math.isfinite(meta["val_bpp"]) and meta["steps"] > 0


@pytest.mark.slow  # recomputes an estimate with the shipped VDM weights (~6 s)
def test_shipped_estimates_cover_the_paper_tracks_and_recompute(tmp_path):
    entries = {e["track"]: e for e in shipped_entries()}
    assert set(entries) == set(PAPER_TRACKS)
    entry = entries["sdss-2d"]
    est = estimate_track("sdss-2d", "synthetic", samples=entry["info"]["samples"], seed=entry["info"]["seed"])
    assert est.split == entry["split"] and est.meta["sha256"] == entry["info"]["weights_sha256"]
    assert [i.item_id for i in est.items] == [i["item_id"] for i in entry["items"]]
    for ours, shipped in zip(est.items, entry["items"]):
        assert ours.bpp == pytest.approx(shipped["bpp"], abs=2e-4)
        assert ours.stderr == pytest.approx(shipped["stderr"], abs=2e-4)
    store = ResultStore(str(tmp_path / "results"))
    keys = seed_vdm_estimates(store)
    assert len(keys) == len(PAPER_TRACKS) and seed_vdm_estimates(store) == keys
    recs = [store.read(k) for k in keys]
    assert all(r.provenance == "estimate" and r.submission == SUBMISSION for r in recs)
