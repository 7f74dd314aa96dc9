"""The top of the board: a one-line header, the data selector, then the filters (folded).

The data selector comes first (``leaderboard.data.data_views``): the page shows
one kind of data at a time, real data by default, with the view's one-line
note under it. The other filters (hardware profile, provenance, method, the
ranking key) are folded away in plain words (``leaderboard.views.filter_labels``).
"""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from leaderboard.board.board_data import SORT_CHOICES, Filters, LeaderboardData, filters_from
from leaderboard.data import data_views
from leaderboard.views import tables
from leaderboard.views.filter_labels import KIND_WORDS, PROFILE_WORDS, PROVENANCE_WORDS, labelled

HEADER = (
    "# AstroCompress Challenge: lossless compression of raw astronomical images\n"
    "**Compression ratio** = 16 bits / bits per pixel, mean over test items; higher is better. "
    "Ranks compare rows on the same data only; an empty cell means no number exists. "
    "Badges, tracks and rules: see the [About](?tab=about) tab."
)


@dataclass
class Controls:
    """The header's inputs (``inputs`` in the order ``filters_of`` reads them) and outputs."""

    data_pick: gr.Radio
    data_note: gr.Markdown
    profile: gr.CheckboxGroup
    provenance: gr.CheckboxGroup
    kind: gr.CheckboxGroup
    sort: gr.Dropdown
    status: gr.Markdown
    refresh: gr.Button

    @property
    def inputs(self) -> list[gr.CheckboxGroup | gr.Dropdown | gr.Radio]:
        return [self.profile, self.provenance, self.kind, self.sort, self.data_pick]


def filters_of(profiles: list[str] | None, provenances: list[str] | None, kinds: list[str] | None,
               sort_by: str | None, data: str | None) -> Filters:
    """The filters of the header's ``Controls.inputs`` values (every data kind: the view picks the data)."""
    return filters_from(profiles, provenances, kinds, None, sort_by, data)


def profile_choices(data: LeaderboardData) -> list[tuple[str, str]]:
    return labelled(data.profiles(), PROFILE_WORDS)


def build_controls(data: LeaderboardData) -> Controls:
    """The header, the data selector and the folded filters (inside the caller's ``gr.Blocks``)."""
    gr.Markdown(HEADER, elem_id="lb-header")  # our own constant: no participant text
    default = data.default_data()
    with gr.Row(elem_id="data-row"):
        data_pick = gr.Radio(data.data_choices(), value=default, label="Data", elem_id="data-choice", scale=3)
        data_note = gr.Markdown(data_views.note_line(default), elem_id="data-note", elem_classes=["lb-note"])
    with gr.Accordion("Filters: hardware, provenance, method, ranking key", open=False, elem_id="filters"):
        with gr.Row():
            profile = gr.CheckboxGroup(profile_choices(data), value=[], label="Hardware profile (none ticked = all)",
                                       elem_id="filter-profile")
            provenance = gr.CheckboxGroup(labelled(tables.PROVENANCES, PROVENANCE_WORDS),
                                          value=list(tables.PROVENANCES), label="Provenance",
                                          elem_id="filter-provenance")
            kind = gr.CheckboxGroup(labelled(tables.KINDS, KIND_WORDS), value=list(tables.KINDS), label="Method",
                                    elem_id="filter-kind")
            sort = gr.Dropdown(SORT_CHOICES, value="ratio_mean", label="Rank by", elem_id="filter-sort")
    with gr.Row():
        status = gr.Markdown(data.status_line(), elem_id="lb-status", elem_classes=["lb-note"])
        refresh = gr.Button("Refresh now", size="sm", scale=0, elem_id="refresh-button")
    return Controls(data_pick, data_note, profile, provenance, kind, sort, status, refresh)
