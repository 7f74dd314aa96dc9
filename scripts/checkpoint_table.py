"""Print the shipped neural checkpoints as a markdown table, from their sidecars (docs/baselines.md pastes it).

    python scripts/checkpoint_table.py

Per checkpoint: tracks, params, CPU-minutes and steps of all its training, the validation bits/pixel
under the coder's distribution before and after fine-tuning on it (``finetune``), which weights were
kept, and the real (packaged) frames' bits/pixel beside RICE's (``validation.real_packaged``).
"""

from __future__ import annotations

import json
from pathlib import Path

CHECKPOINTS = Path(__file__).resolve().parent.parent / "baselines" / "neural" / "checkpoints"
MODELS = ("idf", "l3c", "pixelcnn")


def _num(value: object, spec: str = ".3f") -> str:
    return "-" if value is None else format(float(value), spec)  # type: ignore[arg-type]


def rows() -> list[str]:
    out = ["| checkpoint | tracks | params | CPU-min | steps | val before | val (kept) | kept | real | RICE real |",
           "|---|---|---:|---:|---:|---:|---:|---|---:|---:|"]
    for model in MODELS:
        for sidecar in sorted(CHECKPOINTS.glob(f"{model}-*.json")):
            m = json.loads(sidecar.read_text(encoding="utf-8"))
            ft = m.get("finetune") or {}
            real = (m.get("validation") or {}).get("real_packaged") or {}
            out.append(f"| {sidecar.stem} | {', '.join(m['tracks'])} | {m['params']:,} | {m['minutes']:.1f} | "
                       f"{m['steps']} | {_num(ft.get('val_bpp_before'))} | {_num(m['val_bpp'])} | "
                       f"{ft.get('kept', '-')} | {_num(real.get('bpp'))} | {_num(real.get('rice_bpp'))} |")
    return out


if __name__ == "__main__":
    print("\n".join(rows()))
