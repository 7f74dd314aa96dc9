"""Sortable column headers for the board's static tables (``leaderboard.views.html_table``), in the browser.

A click on a header of a ``.lb-table`` sorts that table's rows by the
column (numbers as numbers, text in natural order, empty cells last), a
second click reverses it; the header says which way (``aria-sort``). Only
the order changes: every cell keeps its value, so a *Rank* stays the rank the
server computed (sorting by another column never renumbers ranks). The
script is one listener on the document (the tables are re-rendered on every
update; the listener stays) and is passed to ``launch(head=...)``.
"""

from __future__ import annotations

SORTER_JS = r"""
(() => {
  if (window.__lbSorter) { return; }
  window.__lbSorter = true;
  const text = (cell) => (cell ? (cell.innerText || cell.textContent || '') : '').trim();
  const number = (t) => {
    const m = t.replace(/\u2212/g, '-').match(/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?/i);
    return m ? parseFloat(m[0]) : NaN;
  };
  document.addEventListener('click', (event) => {
    const th = event.target && event.target.closest ? event.target.closest('.lb-table th') : null;
    if (!th) { return; }
    const table = th.closest('table');
    const body = table && table.tBodies[0];
    if (!body) { return; }
    const column = Array.from(th.parentElement.children).indexOf(th);
    const dir = th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending';
    th.parentElement.querySelectorAll('th').forEach((h) => h.removeAttribute('aria-sort'));
    th.setAttribute('aria-sort', dir);
    const rows = Array.from(body.rows).map((row, i) => ({row, i, t: text(row.cells[column])}));
    const numeric = rows.some((r) => r.t !== '') && rows.every((r) => r.t === '' || !isNaN(number(r.t)));
    const sign = dir === 'ascending' ? 1 : -1;
    rows.sort((a, b) => {
      if (a.t === '' || b.t === '') { return (a.t === '') === (b.t === '') ? a.i - b.i : (a.t === '' ? 1 : -1); }
      const c = numeric ? number(a.t) - number(b.t) : a.t.localeCompare(b.t, undefined, {numeric: true});
      return c ? sign * c : a.i - b.i;
    });
    rows.forEach((r) => body.appendChild(r.row));
  });
})();
"""

SORTER_HEAD = f"<script>{SORTER_JS}</script>"

SORTER_CSS = """
.lb-table th {cursor: pointer; user-select: none;}
.lb-table th[aria-sort=ascending]::after {content: " \\25B2"; font-size: 0.75em;}
.lb-table th[aria-sort=descending]::after {content: " \\25BC"; font-size: 0.75em;}
"""
