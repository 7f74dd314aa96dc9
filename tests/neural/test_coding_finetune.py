"""Shipped checkpoints are trained on the coder's distribution: every sidecar says so, and `--init` fine-tunes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from baselines.neural.checkpoints import CHECKPOINT_DIR, load_checkpoint
from baselines.neural.train import LOSS, finetune_meta

SIDECARS = sorted(p for m in ("idf", "l3c", "pixelcnn") for p in CHECKPOINT_DIR.glob(f"{m}-*.json"))


@pytest.mark.parametrize("sidecar", SIDECARS, ids=lambda p: p.stem)
def test_every_shipped_checkpoint_was_fine_tuned_on_the_coding_loss(sidecar: Path) -> None:
    meta = json.loads(sidecar.read_text(encoding="utf-8"))
    ft = meta["finetune"]
    # IDF's weights come from a second fine-tune: the first (from the mixture) gave its latents no gradient
    started = "coding" if meta["model"] == "idf" else "mixture"
    assert meta["loss"] == LOSS == "coding" and ft["from_loss"] == started and ft["steps"] > 0
    assert ft["kept"] in {"final", "snapshot", "initial"}
    # the kept weights validate at least as well as the ones fine-tuning started from (both under the coding loss)
    assert meta["val_bpp"] <= ft["val_bpp_before"]
    assert (meta["sha256"] == ft["from_sha256"]) == (ft["kept"] == "initial")


def test_finetune_meta_counts_the_steps_of_the_weights_kept() -> None:
    old = {"steps": 300, "minutes": 5.0, "sha256": "a" * 64}
    moved = finetune_meta(old, 40, 1.5, 6.2, "final")
    assert moved["steps"] == 340 and moved["minutes"] == 6.5 and moved["finetune"]["val_bpp_before"] == 6.2
    kept = finetune_meta(old, 40, 1.5, 6.2, "initial")
    assert kept["steps"] == 300 and kept["finetune"]["kept"] == "initial" and kept["minutes"] == 6.5


@pytest.mark.slow  # two training runs, each validated on the real (packaged) frames too
def test_init_fine_tunes_a_checkpoint_and_records_both_runs(tmp_path: Path) -> None:
    from baselines.neural.train import main  # noqa: PLC0415

    first = main(["--model", "pixelcnn", "--track", "keck", "--minutes", "0.01", "--config", "tiny",
                  "--variant", "direct", "--batch", "8", "--lr", "2e-3", "--out", str(tmp_path / "a.pt")])
    before = load_checkpoint(first).meta
    second = main(["--model", "pixelcnn", "--track", "keck", "--minutes", "0.01", "--batch", "8", "--lr", "1e-3",
                   "--init", str(first), "--out", str(tmp_path / "b.pt")])
    meta = load_checkpoint(second).meta
    assert meta["config"] == before["config"] and meta["variant"] == before["variant"] == "direct"
    assert meta["loss"] == "coding" and meta["finetune"]["from_sha256"] == before["sha256"]
    assert np.isfinite(meta["val_bpp"]) and meta["val_bpp"] <= meta["finetune"]["val_bpp_before"]
    with pytest.raises(SystemExit, match="not idf of keck"):
        main(["--model", "idf", "--track", "keck", "--minutes", "0.01", "--init", str(first),
              "--out", str(tmp_path / "c.pt")])
