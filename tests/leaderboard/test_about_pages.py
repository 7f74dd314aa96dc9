"""The About, How to submit, Rules and Citation pages: built from the project's tables (issue 23, item 5)."""

from __future__ import annotations

import json

from evaluator.core.schema import METRICS
from evaluator.core.tracks import TRACKS
from evaluator.sandbox.profiles import PROFILES
from leaderboard.app.about_pages import ABOUT_MD, ABOUT_PAGES, CITATION_MD, RULES_MD, SUBMIT_MD, profile_line
from leaderboard.publish.dataset_card import PAPER_BIBTEX
from leaderboard.views.cells import BADGE_HELP
from submissions.queue.limits import DEFAULT_PER_DAY


def test_about_names_every_track_the_headline_and_every_badge() -> None:
    for name, track in TRACKS.items():
        assert f"| `{name}` | {track.title} | `AstroCompress/{track.dataset}` |" in ABOUT_MD
    headline = METRICS["ratio_mean"]
    assert f"**{headline.label}** (`ratio_mean`)" in ABOUT_MD and headline.doc in ABOUT_MD
    for kind, text in BADGE_HELP.items():
        assert f'class="badge badge-{kind}"' in ABOUT_MD and text in ABOUT_MD
    assert "*portable*:" in ABOUT_MD and "*estimate*:" in ABOUT_MD


def test_how_to_submit_gives_the_commands_privacy_and_every_profiles_limits() -> None:
    for command in ("challenge init", "challenge build", "challenge test",
                    "challenge submit ./my_codec --to hf://datasets/ORG/NAME"):
        assert command in SUBMIT_MD
    assert "**Private: your image.**" in SUBMIT_MD and "encrypts" in SUBMIT_MD and "**deletes**" in SUBMIT_MD
    assert "**Public: your Hub account name**" in SUBMIT_MD and "**the request metadata**" in SUBMIT_MD
    for profile in PROFILES.values():
        line = profile_line(profile)
        assert line in SUBMIT_MD
        assert f"| {profile.cores} |" in line and f"{profile.request_s_per_mpix:g} s per megapixel" in line
    assert "| `cpu-1` | 1 | 4 GiB | none | 120 s | 10 s + 60 s per megapixel |" in SUBMIT_MD
    assert f"**{DEFAULT_PER_DAY} per participant per 24 hours**" in SUBMIT_MD
    assert "### How long a run takes" in SUBMIT_MD


def test_rules_and_the_citation() -> None:
    for rule in ("Lossless, bit-exact", "Hidden splits", "The image size counts", "One account per participant",
                 "The digest is frozen at submission"):
        assert f"**{rule}.**" in RULES_MD
    assert f"```bibtex\n{PAPER_BIBTEX}\n```" in CITATION_MD  # the dataset card's constant, not a copy
    assert "Truong, Tuan and Sudharsan, Rithwik" in PAPER_BIBTEX and "2506.08306" in PAPER_BIBTEX


def test_build_app_holds_the_four_pages(store) -> None:
    from leaderboard.app.page import build_app

    config = build_app(store.url).get_config_file()
    by_elem = {c["props"].get("elem_id"): c for c in config["components"] if "props" in c}
    for page in ABOUT_PAGES:
        assert by_elem[f"tab-{page.id}"]["props"]["label"] == page.title
        assert by_elem[f"{page.id}-text"]["props"]["value"] == page.text
    assert [p.id for p in ABOUT_PAGES] == ["about", "submit", "rules", "citation"]
    assert "AstroCompress" in json.dumps(by_elem["citation-text"]["props"]["value"])
