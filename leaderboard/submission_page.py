"""The Submission tab of the leaderboard: one submission's records, manifest and fingerprint."""

from __future__ import annotations

import html
from typing import Any

import gradio as gr
import pandas as pd

from leaderboard import tables
from leaderboard.store_reader import StoreReader


def submission_page(frame: pd.DataFrame, reader: StoreReader,
                    submission: str | None) -> tuple[str, dict[str, Any], pd.DataFrame, Any]:
    """The Submission tab: what a submission is (manifest, digest, failures), its records per track and
    profile, its fingerprint, and the choice of its records whose per-item rows to show."""
    if not submission or frame.empty or submission not in set(frame["submission"]):
        return ("Choose a submission above.", {}, tables.submission_tracks_table(frame, ""),
                gr.update(choices=[], value=None))
    rows = frame[frame["submission"] == submission].sort_values("created_at")
    rec = reader.record(rows["key"].iloc[-1])
    man = rec.manifest or {}
    lines = [f"## {html.escape(rec.codec)} {tables.badge(rec.provenance)}"
             + (f" {tables.badge('synthetic')}" if rec.synthetic else "")]
    for label, keyname in (("Authors", "authors"), ("License", "license"), ("Description", "description"),
                           ("Version", "version")):
        value = man.get(keyname)
        if value:
            value = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"**{label}:** {html.escape(value)}")
    link = man.get("link") or man.get("url") or man.get("homepage")
    if link:
        lines.append(f"**Link:** <{link}>")
    lines.append(f"**Submission id:** `{submission}`")
    lines.append(f"**Image digest:** `{rec.image_digest or 'n/a (not a container image)'}`")
    if rec.source:
        lines.append(f"**Source:** {html.escape(rec.source)}")
    failures = rows[rows["status"] != "ok"]
    if not failures.empty:
        lines.append("### Failures")
        for _, r in failures.iterrows():
            lines.append(f"- `{r['track']}` on `{r['profile']}` ({r['data']}): **{r['failure_kind']}**: "
                         f"{html.escape(str(r['failure_message']))}")
    lines.append("_Logs of runs on hidden data are never published (a codec could print the data)._")
    choices = [(f"{r['track']} / {r['profile']} / {r['split']}", r["key"]) for _, r in rows.iterrows()]
    return ("\n\n".join(lines), rec.fingerprint or {}, tables.submission_tracks_table(frame, submission),
            gr.update(choices=choices, value=choices[0][1] if choices else None))

def record_items(reader: StoreReader, key: str | None) -> pd.DataFrame:
    """Per-item rows of one record, rounded for reading."""
    if not key:
        return pd.DataFrame()
    items = reader.items(key)
    return items.round({"bpp": 4, "ratio": 4, "encode_s": 4, "decode_s": 4, "noise_sigma": 3, "noise_bpp": 3})
