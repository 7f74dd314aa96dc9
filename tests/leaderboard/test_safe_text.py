"""The escaping helpers (leaderboard.safe_text) and the board's pieces that use them, without a browser."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest
from lb_factory import verified_record
from markdown_it import MarkdownIt

from evaluator.results.records import ResultStore
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.safe_text import LINK_REL, html_text, link_html, markdown_text, plot_text, reveal_controls
from leaderboard.views import plots
from leaderboard.views.html_table import plain_table
from leaderboard.views.tables import data_label

OUR_TAGS = {"h2", "h3", "span", "p", "strong", "code", "em", "ul", "li", "a"}  # what the Submission tab writes
HOSTILE = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "<svg onload=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](x onerror=alert(1))",
    '"><b>bold</b>',
    "*em* _em_ `code` # h ~~s~~ | a | $$x$$ \\[esc\\] <https://auto.link> https://bare.link www.x.org",
    "&lt;already escaped&gt; &amp; &#60;",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_html_text_is_inert_and_reads_as_written(text: str) -> None:
    out = html_text(text)
    assert "<" not in out and ">" not in out and '"' not in out and "'" not in out
    assert html.unescape(out) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_text_renders_as_the_same_text_and_nothing_else(text: str) -> None:
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough", "linkify"]).render(markdown_text(text))
    assert rendered.startswith("<p>") and rendered.endswith("</p>\n")
    inner = rendered[len("<p>"):-len("</p>\n")]
    assert not re.search(r"<(?!/?p>)", inner), inner  # no element at all: no link, image, emphasis, code
    assert html.unescape(inner) == text


def test_reveal_controls_shows_bidi_and_escape_codes_keeps_line_breaks() -> None:
    assert reveal_controls("a\u202eb\u2066c\x1b[31md\x85") == "a[U+202E]b[U+2066]c[U+001B][31md[U+0085]"
    assert reveal_controls("line 1\n\tline 2") == "line 1\n\tline 2"
    assert html_text("\u202e<x>") == "[U+202E]&lt;x&gt;"


def test_plot_text_escapes_what_plotly_reads_as_markup_and_keeps_quotes() -> None:
    # plotly decodes &lt; &gt; &amp; (and numeric references) but shows &quot; as it is
    assert plot_text('<b>A</b> & "B" \'C\'') == '&lt;b&gt;A&lt;/b&gt; &amp; "B" \'C\''


def test_link_html_is_an_anchor_only_for_http_urls() -> None:
    good = link_html("https://github.com/ada/codec?x=1&y=2")
    assert good == (f'<a href="https://github.com/ada/codec?x=1&amp;y=2" rel="{LINK_REL}" target="_blank">'
                    "https://github.com/ada/codec?x=1&amp;y=2</a>")
    assert LINK_REL == "nofollow noopener noreferrer"
    for bad in ("javascript:alert(1)", "data:text/html,x", 'https://x.org/"onmouseover="alert(1)', "x><img src=x>",
                "https://x.org/\u202e"):
        out = link_html(bad)
        assert "<a" not in out and "<img" not in out and html.unescape(out) == reveal_controls(bad)


def test_tables_plots_and_the_submission_page_escape_what_a_participant_wrote(tmp_path) -> None:
    store = ResultStore(str(tmp_path / "results"))
    codec = '<img src=x onerror="alert(1)">\u202e'
    rec, items = verified_record("evil", "keck", codec=codec, submission="sub-evil", split="synthetic-<b>x</b>")
    rec.manifest = {"name": "evil", "authors": ["<script>x</script>"], "license": "[l](javascript:x)",
                    "description": "![i](x onerror=alert(1))", "link": "javascript:alert(1)"}
    store.write(rec, items)
    good, good_items = verified_record("good", "keck", submission="sub-good")
    good.manifest = {**good.manifest, "link": "https://example.org/codec"}
    store.write(good, good_items)
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)

    details, _, _, _ = data.submission_page("sub-evil")
    assert set(re.findall(r"<\s*([A-Za-z][\w:-]*)", details)) <= OUR_TAGS  # the page's own markup only
    assert "<a " not in details  # its link is not http(s): text
    for text in (codec.replace("\u202e", "[U+202E]"), "<script>x</script>", "[l](javascript:x)",
                 "![i](x onerror=alert(1))", "javascript:alert(1)"):
        assert html_text(text) in details, text
    details, _, _, _ = data.submission_page("sub-good")
    assert f'<a href="https://example.org/codec" rel="{LINK_REL}" target="_blank">' in details

    # the plots of the hostile record's own data label (each plot shows one label)
    figures = data.item_plots("keck", Filters(), data_label(rec.split, rec.synthetic, rec.provenance))
    names = {t.name for fig in figures for t in fig.data}
    assert plot_text(codec) in names and codec not in names
    assert all("<b>x</b>" not in (fig.layout.title.text or "") for fig in figures)
    assert "data: synthetic-&lt;b&gt;x&lt;/b&gt;" in figures[0].layout.title.text
    pareto = plots.pareto_figure(data.frame(), "keck")
    assert any(plot_text(codec) in t for trace in pareto.data for t in (trace.text or ()))

    table = plain_table(pd.DataFrame({"Reason": ["\u202e<b>x</b>"]}))
    assert "[U+202E]&lt;b&gt;x&lt;/b&gt;" in table and "<b>" not in table


def test_no_component_of_the_board_turns_html_sanitizing_off() -> None:
    """Every Markdown component is sanitized, even one that holds only our own text (issue 21, item 1)."""
    root = Path(__file__).resolve().parents[2] / "leaderboard"
    offenders = [str(p.relative_to(root.parent)) for p in root.rglob("*.py") if "sanitize_html=False" in p.read_text()]
    assert offenders == []
