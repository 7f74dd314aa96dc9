"""A big board in a real browser: the ranking table is paged, every row stays reachable, ranks are global.

A store of a few hundred submissions on one track (generated like
``scripts/bench_leaderboard.py`` does) is served; the Hubble tab must send one
page of rows, not all of them, with ranks computed on every row; the next page,
the search box and the CSV download each reach rows beyond the first page.
"""

from __future__ import annotations

import csv
import io
import urllib.request
from pathlib import Path

import pytest
from browser_support import (
    all_table_rows,
    browser_available,
    free_port,
    open_tab,
    start_chromium,
    stop_chromium,
    table_headers,
    wait_for,
)
from lb_factory import BASELINES, verified_record
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from evaluator.results.records import ResultStore
from leaderboard.data.ranking import ItemRatios, paired_ranks
from leaderboard.views.track_pages import GROUP_ROWS, PAGE_ROWS

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not browser_available(), reason="no chromium/chromedriver"),
              pytest.mark.timeout(420)]

N_SUBMISSIONS = 2 * PAGE_ROWS + 30  # three pages


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leaderboard.app.page import serve

    root: Path = tmp_path_factory.mktemp("lb-browser-paging")
    store = ResultStore(str(root / "results"))
    codec_ids = list(BASELINES)
    for i in range(N_SUBMISSIONS):
        rec, items = verified_record(codec_ids[i % len(codec_ids)], "hubble", codec=f"codec-{i:03d}",
                                     submission=f"sub-{i:03d}", n_items=6, seed=i)
        store.write(rec, items)
    demo, url = serve(store.url, None, port=free_port(), refresh_s=30.0, block=False)
    yield url, store
    demo.close()


@pytest.fixture(scope="module")
def driver(served):
    drv, profile = start_chromium()
    drv.get(served[0])
    wait_for(lambda: drv.find_elements(By.CSS_SELECTOR, "button[role=tab]"), what="the app to render")
    yield drv
    stop_chromium(drv, profile)


@pytest.fixture(scope="module")
def expected(served) -> dict[str, int]:
    """Every submission's rank on the full set (paired bootstrap over all its items), from the store itself."""
    _, store = served
    records = [r for r in store.records() if r.track == "hubble"]
    ranks = paired_ranks({r.key: ItemRatios.from_items(store.items(r.key)) for r in records}).set_index("key")
    return {r.submission: int(ranks.loc[r.key, "rank"]) for r in records}


@pytest.fixture(scope="module")
def table_order(served, expected) -> list[str]:
    """Submissions in the table's order: by rank, tied rows the better mean ratio first, then the codec name."""
    _, store = served
    means = {r.submission: r.summary.ratio_mean for r in store.records() if r.track == "hubble"}
    return sorted(expected, key=lambda s: (expected[s], -means[s], f"codec-{s[4:]}"))


def _rows(driver) -> list[dict[str, str]]:
    headers = table_headers(driver, "table-hubble")
    return [dict(zip(headers, r)) for r in all_table_rows(driver, "table-hubble")]


def _rows_when(driver, ok, what: str) -> list[dict[str, str]]:
    """The table's rows once ``ok(rows)`` holds."""
    def check() -> list[dict[str, str]]:
        rows = _rows(driver)
        return rows if ok(rows) else []
    return wait_for(check, timeout=60, what=what)


def _caption(driver) -> str:
    return driver.find_element(By.ID, "pager-track").text


def _visible_input(driver, elem_id: str):
    return wait_for(lambda: [e for e in driver.find_elements(By.CSS_SELECTOR, f"#{elem_id} input, "
                                                             f"#{elem_id} textarea") if e.is_displayed()],
                    what=f"the input of #{elem_id}")[0]


def _retype(box, text: str) -> None:
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    box.send_keys(text)


def test_big_board_sends_one_page_ranked_on_every_row(driver, expected, table_order, artifacts_dir) -> None:
    open_tab(driver, "Hubble")
    wait_for(lambda: f"Rows 1-{PAGE_ROWS} of {N_SUBMISSIONS}" in _caption(driver), timeout=60,
             what="the pager caption of page 1")
    rows = _rows_when(driver, lambda rs: len(rs) == PAGE_ROWS, "one page of rows")
    assert len(rows) == PAGE_ROWS < len(expected)  # bounded: not every row is sent
    for r in rows:  # ranks on the full set, not on the page
        assert int(r["Rank"]) == expected[r["Submission"]], r["Submission"]
    assert [int(r["Rank"]) for r in rows] == sorted(int(r["Rank"]) for r in rows)
    assert {r["Submission"] for r in rows} == set(table_order[:PAGE_ROWS])
    runtime_note = driver.find_element(By.ID, "runtime-note-track").text
    assert f"{GROUP_ROWS} of {N_SUBMISSIONS} rows shown" in runtime_note
    driver.save_screenshot(str(artifacts_dir / "hubble-big-board-page-1.png"))


def test_a_row_beyond_the_first_page_is_reachable(driver, served, expected, table_order, artifacts_dir) -> None:
    open_tab(driver, "Hubble")
    wait_for(lambda: "Rows 1-" in _caption(driver), timeout=60, what="the pager")
    first_page = {r["Submission"] for r in _rows(driver)}
    last = table_order[-1]  # the last row of the last page
    assert last not in first_page

    page_box = _visible_input(driver, "page-track")
    _retype(page_box, "3")
    wait_for(lambda: f"Rows {2 * PAGE_ROWS + 1}-{N_SUBMISSIONS} of {N_SUBMISSIONS}" in _caption(driver),
             timeout=60, what="page 3")
    rows = _rows_when(driver, lambda rs: len(rs) == N_SUBMISSIONS - 2 * PAGE_ROWS, "the rows of page 3")
    assert not first_page & {r["Submission"] for r in rows}
    found = next(r for r in rows if r["Submission"] == last)
    assert int(found["Rank"]) == expected[last]
    driver.save_screenshot(str(artifacts_dir / "hubble-big-board-page-3.png"))

    _retype(page_box, "1")
    search = _visible_input(driver, "search-track")
    _retype(search, last)  # the search covers every row, whatever page it is on
    rows = _rows_when(driver, lambda rs: [r["Submission"] for r in rs] == [last], "the searched row alone")
    assert int(rows[0]["Rank"]) == expected[last]
    assert "matching" in _caption(driver)
    _retype(search, "")
    wait_for(lambda: len(_rows(driver)) == PAGE_ROWS, timeout=60, what="page 1 back after clearing the search")


def test_the_full_table_downloads_as_csv(driver, served, expected) -> None:
    open_tab(driver, "Hubble")
    links = wait_for(lambda: [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#csv-track a")
                              if (a.get_attribute("href") or "").endswith(".csv")], timeout=60,
                     what="the CSV links")
    ranking = next(link for link in links if "ranking" in link)
    with urllib.request.urlopen(ranking, timeout=30) as response:
        rows = list(csv.DictReader(io.StringIO(response.read().decode())))
    assert len(rows) == N_SUBMISSIONS
    assert {r["Submission"]: int(r["Rank"]) for r in rows} == expected
    assert all(r["Badges"] == "verified synthetic" for r in rows)  # badges as words, not HTML
