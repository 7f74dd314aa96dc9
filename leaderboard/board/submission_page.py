"""The Submission tab of the leaderboard: one submission's records, manifest and fingerprint.

Its details are HTML built here, every participant- or codec-controlled
string through :mod:`leaderboard.safe_text` (the manifest's fields, the
link, failure messages with their stderr tail, data labels): nothing a
participant wrote is markup on the page.
"""

from __future__ import annotations

import json
from typing import Any

import gradio as gr
import pandas as pd

from evaluator.core.public_text import LINK_FIELDS
from leaderboard.data.board_reader import BoardReader
from leaderboard.safe_text import html_text, link_html, reveal_controls
from leaderboard.views import tables
from leaderboard.views.html_table import plain_table

# The manifest fields the page shows, in order; then its link (the first of LINK_FIELDS it has).
MANIFEST_FIELDS: tuple[tuple[str, str], ...] = (("Authors", "authors"), ("License", "license"),
                                                ("Description", "description"), ("Version", "version"))


def submission_page(frame: pd.DataFrame, reader: BoardReader,
                    submission: str | None) -> tuple[str, dict[str, Any], pd.DataFrame, Any]:
    """The Submission tab: what a submission is (manifest, digest, failures), its records per track and
    profile, its fingerprint, and the choice of its records whose per-item rows to show."""
    if not submission or frame.empty or submission not in set(frame["submission"]):
        return ("Choose a submission above.", {}, tables.submission_tracks_table(frame, ""),
                gr.update(choices=[], value=None))
    rows = frame[frame["submission"] == submission].sort_values("created_at")
    rec = reader.record(rows["key"].iloc[-1])
    man = rec.manifest or {}
    parts = [f"<h2>{html_text(rec.codec)} {tables.badge(rec.provenance)}"
             + (f" {tables.badge('synthetic')}" if rec.synthetic else "") + "</h2>"]
    for label, value in _manifest_fields(man):
        parts.append(_field(label, html_text(value)))
    link = next((man[k] for k in LINK_FIELDS if man.get(k)), None)
    if link:
        parts.append(_field("Link", link_html(link)))
    parts.append(_field("Submission id", f"<code>{html_text(submission)}</code>"))
    parts.append(_field("Image digest", f"<code>{html_text(rec.image_digest or 'n/a (not a container image)')}</code>"))
    if rec.source:
        parts.append(_field("Source", html_text(rec.source)))
    failures = rows[rows["status"] != "ok"]
    if not failures.empty:
        parts.append("<h3>Failures</h3><ul>" + "".join(
            f"<li><code>{html_text(r['track'])}</code> on <code>{html_text(r['profile'])}</code> "
            f"({html_text(r['data'])}): <strong>{html_text(r['failure_kind'])}</strong>: "
            f'<span style="white-space: pre-wrap">{html_text(r["failure_message"])}</span></li>'
            for _, r in failures.iterrows()) + "</ul>")
    parts.append("<p><em>Logs of runs on hidden data are never published (a codec could print the data).</em></p>")
    choices = [(reveal_controls(f"{r['track']} / {r['profile']} / {r['split']}"), r["key"]) for _, r in rows.iterrows()]
    return ("\n".join(parts), rec.fingerprint_json(), tables.submission_tracks_table(frame, submission),
            gr.update(choices=choices, value=choices[0][1] if choices else None))



def _manifest_fields(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) of the manifest fields the page shows, in order (lists joined by commas)."""
    out = []
    for label, key in MANIFEST_FIELDS:
        value = manifest.get(key)
        if value:
            out.append((label, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))
    return out


def _field(label: str, value_html: str) -> str:
    return f"<p><strong>{label}:</strong> {value_html}</p>"


SUBMISSION_COLUMN_WIDTHS: list[str] = [
    "120px", "80px", "260px", "80px", *("100px" for _ in range(5)), "400px",
]


def submission_html(details: str, fingerprint: dict[str, Any], records: pd.DataFrame, choice: Any) -> list[Any]:
    """The Submission tab's parts (:func:`submission_page`) as the page shows them."""
    shown = html_text(json.dumps(fingerprint, indent=2, sort_keys=True, default=str)) if fingerprint else ""
    return [details, f'<div class="lb-caption">Fingerprint (machine, versions, digest, dataset revision)</div>'
            f'<pre class="lb-json">{shown}</pre>' if shown else "",
            plain_table(records, caption="Results per track and profile", widths=SUBMISSION_COLUMN_WIDTHS), choice]


def items_html(items: pd.DataFrame) -> str:
    return plain_table(items, caption="Per-item results", max_height=500) if not items.empty else ""


def record_items(reader: BoardReader, key: str | None) -> pd.DataFrame:
    """Per-item rows of one record, rounded for reading."""
    if not key:
        return pd.DataFrame()
    items = reader.items(key)
    return items.round({"bpp": 4, "ratio": 4, "encode_s": 4, "decode_s": 4, "noise_sigma": 3, "noise_bpp": 3})
