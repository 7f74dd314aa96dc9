"""The view a link opens: ``?tab=tracks&track=hubble&data=real``, ``?tab=submission&submission=ID``,
``?tab=near-lossless&track=keck`` (a near-lossless track, ``?track=keck-nl2``, opens that view too).

``url_view`` reads a page's query parameters into a :class:`UrlView`;
anything it does not recognise is dropped (the page opens on its defaults),
so a hand-edited or hostile link opens, at worst, the Overview. The app
(``leaderboard.app.page``) applies it when the page loads.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from evaluator.core.tracks import NEAR_LOSSLESS_TRACKS, TRACKS

TABS: tuple[str, ...] = ("overview", "tracks", "cross-track", "near-lossless", "submission", "queue")  # the Tabs' ids


@dataclass(frozen=True)
class UrlView:
    tab: str = "overview"
    track: str | None = None  # a lossless track's name (``evaluator.core.tracks.TRACKS``)
    data: str | None = None  # a data view key (checked against the store by the caller)
    submission: str | None = None  # a submission id (checked against the store by the caller)


def url_view(params: Mapping[str, str] | None, tabs: tuple[str, ...] = TABS) -> UrlView:
    """The view named by ``params``: a track alone opens the Tracks tab, a submission alone its page."""
    params = params or {}
    track = params.get("track")
    variant = NEAR_LOSSLESS_TRACKS.get(track or "")
    track = variant.lossless_track if variant is not None else track if track in TRACKS else None
    submission = (params.get("submission") or "").strip() or None
    tab = params.get("tab") or ("near-lossless" if variant else "tracks" if track else
                                "submission" if submission else "overview")
    if tab not in tabs:
        tab = "overview"
    data = (params.get("data") or "").strip() or None
    return UrlView(tab=tab, track=track, data=data, submission=submission)


# A link to ``?tab=<id>`` on the page (the header's "About") opens that tab in this window: Gradio's Markdown
# opens links in a new window, so the click is taken over; the tab's button is clicked when it is found
# (``aria-controls`` names the tab's panel), else the page reloads on the link (``url_view`` opens the tab).
TAB_LINK_JS = r"""
(() => {
  if (window.__lbTabLinks) { return; }
  window.__lbTabLinks = true;
  document.addEventListener('click', (event) => {
    const a = event.target && event.target.closest ? event.target.closest('a[href^="?tab="]') : null;
    if (!a) { return; }
    event.preventDefault();
    event.stopPropagation();
    const id = new URLSearchParams(a.getAttribute('href').slice(1)).get('tab') || '';
    const button = document.querySelector('button[role=tab][aria-controls="tab-' + CSS.escape(id) + '"]');
    if (button) { button.click(); } else { window.location.search = '?tab=' + encodeURIComponent(id); }
  }, true);
})();
"""
