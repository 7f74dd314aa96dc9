"""Participant- and codec-controlled text, made inert for each place the board shows it.

Codec names, participants, manifests, failure messages with a codec's stderr
tail, split names, item ids: all of it was written by someone who may want
to run script in a visitor's browser. Intake refuses the worst
(:mod:`evaluator.core.public_text`), but records written before, or by another
tool, reach the board too, so every string is escaped where it is rendered,
with the helper for that place:

- :func:`html_text`: inside HTML (tables, the Submission tab);
- :func:`markdown_text`: inside a ``gr.Markdown`` (Markdown syntax and HTML
  both shown literally: ``[x](javascript:...)`` stays text);
- :func:`plot_text`: plotly names, hover text and titles (plotly reads them
  as its own HTML-like markup);
- :func:`link_html`: a link, as an anchor only when it is an absolute
  http(s) URL (``rel="nofollow noopener noreferrer"``), else as text.

Each also shows invisible controls (bidi overrides, escape codes) as
``[U+202E]``: they would otherwise reorder what a reader sees.
"""

from __future__ import annotations

import html

from evaluator.core.public_text import is_control, is_http_url

KEPT_CONTROLS = frozenset("\n\t")  # line breaks and tabs of a stderr tail stay what they are
# Characters Markdown (with GitHub's extensions and Gradio's LaTeX delimiters) gives a meaning to: written as
# numeric character references, which Markdown shows as the character and never parses as syntax.
MARKDOWN_SIGNIFICANT = frozenset("\\`*_{}[]()#+-.!|~:$")
LINK_REL = "nofollow noopener noreferrer"


def reveal_controls(text: str) -> str:
    """``text`` with every control character and bidi override shown as ``[U+XXXX]`` (newlines and tabs kept)."""
    if not any(is_control(c) for c in text):
        return text
    return "".join(f"[U+{ord(c):04X}]" if is_control(c) and c not in KEPT_CONTROLS else c for c in text)


def html_text(value: object) -> str:
    """``value`` as literal text inside HTML (element content or a quoted attribute)."""
    return html.escape(reveal_controls(str(value)), quote=True)


def markdown_text(value: object) -> str:
    """``value`` as literal text inside Markdown: no markup, no link, no emphasis, no LaTeX."""
    return "".join(f"&#{ord(c)};" if c in MARKDOWN_SIGNIFICANT else c for c in html_text(value))


def plot_text(value: object) -> str:
    """``value`` as literal text in a plotly label (its markup is ``<br>``, ``<b>``, ``<a href>``...;
    plotly decodes ``&lt;``, ``&gt;`` and ``&amp;`` but not ``&quot;``, so quotes stay as they are)."""
    return html.escape(reveal_controls(str(value)), quote=False)


def link_html(url: object) -> str:
    """An anchor to ``url`` when it is an absolute http(s) URL, else ``url`` as text."""
    text = html_text(url)
    if not is_http_url(url):
        return text
    return f'<a href="{text}" rel="{LINK_REL}" target="_blank">{text}</a>'
