"""Issue 23 in a real browser at 1366 px: data first, who leads, sortable headers, links that open a view.

Screenshots of the overview and a track view go to ``/tmp/shots/`` (and ``artifacts/leaderboard/``).
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

import pytest
from browser_support import (
    browser_available,
    free_port,
    open_board,
    open_tab,
    pick_data,
    row_dicts,
    stop_chromium,
    wait_for,
)
from lb_factory import write_baselines
from selenium.webdriver.common.by import By
from test_browser_hostile import _RAN_JS, _hostile_record, img, js_url, md_link, script, svg

from baselines.paper_seeds import seed_paper_results
from evaluator.core.tracks import TRACKS
from evaluator.results.records import ResultStore

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not browser_available(), reason="no chromium/chromedriver"),
              pytest.mark.timeout(300)]

PAPER = "paper: real full test split"
SYN = "synthetic default (small, seed 0), full test"
SHOTS = Path("/tmp/shots")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leaderboard.app.page import serve

    root: Path = tmp_path_factory.mktemp("lb-glance")
    store = ResultStore(str(root / "results"))
    seed_paper_results(store)
    write_baselines(store, ["hubble", "keck"])
    rec, items = _hostile_record("A", "keck", js_url("link"))
    store.write(rec, items)
    demo, url = serve(store.url, None, port=free_port(), refresh_s=60.0, block=False)
    yield url, rec
    demo.close()


@pytest.fixture(scope="module")
def driver(served):
    drv, profile = open_board(served[0], 1366, 900)
    yield drv
    stop_chromium(drv, profile)


def test_default_view_is_real_data_ranked_by_ratio(driver) -> None:
    overview = wait_for(lambda: row_dicts(driver, "table-overview"), what="overview rows")
    assert {r["Data"] for r in overview} == {PAPER}  # real data only: no synthetic row on the first screen
    assert "checking" not in driver.find_element(By.ID, "data-note").text
    open_tab(driver, "Hubble")
    rows = wait_for(lambda: row_dicts(driver, "table-hubble"), what="the Hubble table")
    assert {r["Data"] for r in rows} == {PAPER}
    ranked = [r for r in rows if r["Rank"]]
    best = max(ranked, key=lambda r: float(r["Ratio (mean)"]))
    assert ranked[0]["Rank"] == "1" and best["Rank"] == "1" and best["Codec"].startswith("JPEG-XL (max)")


def test_switching_data_shows_synthetic_rows_with_their_own_ranks(driver) -> None:
    open_tab(driver, "Hubble")
    pick_data(driver, "Synthetic")
    rows = wait_for(lambda: (lambda rs: rs if rs and all(r["Data"] == SYN for r in rs) else [])(
        row_dicts(driver, "table-hubble")), what="the synthetic rows only")
    assert sorted(int(r["Rank"]) for r in rows)[0] == 1 and len(rows) == 5
    assert "platform" in driver.find_element(By.ID, "data-note").text
    open_tab(driver, "Overview")
    overview = wait_for(lambda: (lambda rs: rs if rs and all(r["Data"] != PAPER for r in rs) else [])(
        row_dicts(driver, "table-overview")), what="the synthetic overview")
    assert len({r["Data"] for r in overview}) == 1  # one data label: no table mixes data
    pick_data(driver, "Real data")
    wait_for(lambda: {r["Data"] for r in row_dicts(driver, "table-overview")} == {PAPER}, what="the real overview back")


def test_a_link_opens_a_track_on_a_data_view(served, driver) -> None:
    driver.get(served[0] + "?tab=tracks&track=keck&data=synthetic")
    rows = wait_for(lambda: driver.find_elements(By.ID, "table-keck") and row_dicts(driver, "table-keck"),
                    what="the Keck table from the link")
    assert rows and all(r["Data"] != PAPER for r in rows)
    checked = driver.find_element(By.CSS_SELECTOR, "#data-choice input[type=radio]:checked")
    assert "Synthetic" in checked.find_element(By.XPATH, "..").text
    tab = driver.find_element(By.CSS_SELECTOR, "button[role=tab][aria-selected=true]")
    assert tab.text.strip() == "Tracks"
    about = driver.find_element(By.CSS_SELECTOR, "#lb-header a")  # the header's one line links the About tab
    about.click()
    wait_for(lambda: driver.find_element(By.CSS_SELECTOR, "button[role=tab][aria-selected=true]").text.strip()
             == "About", what="the About tab from the header's link")
    driver.get(served[0])


def test_sorting_by_a_header_keeps_the_ranks(driver) -> None:
    open_tab(driver, "Hubble")
    wait_for(lambda: {r["Data"] for r in row_dicts(driver, "table-hubble")} == {PAPER}, what="the real Hubble table")
    before = {r["Codec"]: r["Rank"] for r in row_dicts(driver, "table-hubble")}
    header = next(h for h in driver.find_elements(By.CSS_SELECTOR, "#table-hubble th")
                  if h.text.strip() == "Ratio (mean)")
    header.click()
    ratios = [float(r["Ratio (mean)"]) for r in row_dicts(driver, "table-hubble") if r["Ratio (mean)"]]
    assert ratios == sorted(ratios) and ratios[0] < ratios[-1]
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    rows = row_dicts(driver, "table-hubble")
    ratios = [float(r["Ratio (mean)"]) for r in rows if r["Ratio (mean)"]]
    assert ratios == sorted(ratios, reverse=True)
    assert {r["Codec"]: r["Rank"] for r in rows} == before  # a sort never renumbers ranks
    codec = next(h for h in driver.find_elements(By.CSS_SELECTOR, "#table-hubble th") if h.text.strip() == "Codec")
    codec.click()
    names = [r["Codec"] for r in row_dicts(driver, "table-hubble")]
    assert names == sorted(names, key=str.lower) or names == sorted(names)


def test_every_track_column_is_visible_at_1366(served, driver) -> None:
    open_tab(driver, "Overview")
    wait_for(lambda: row_dicts(driver, "table-overview"), what="overview rows")
    width = driver.execute_script("return window.innerWidth")
    assert width <= 1366
    for t in TRACKS.values():
        th = next(h for h in driver.find_elements(By.CSS_SELECTOR, "#table-overview th") if h.text.strip() == t.title)
        box = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.left, r.right];", th)
        assert 0 <= box[0] and box[1] <= width, (t.title, box, width)
    first = row_dicts(driver, "table-overview")[0]
    assert float(first["Mean rank"]) <= min(float(r["Mean rank"]) for r in row_dicts(driver, "table-overview")
                                            if r["Mean rank"])
    assert driver.find_elements(By.CSS_SELECTOR, "#table-overview .lb-best")  # best per track marked
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0);")  # the first screen: header, data selector, the ranking
    time.sleep(0.3)
    driver.save_screenshot(str(SHOTS / "overview.png"))
    driver.get(served[0] + "?tab=tracks&track=hubble&data=real")  # a fresh page: the ranked order
    wait_for(lambda: driver.find_elements(By.ID, "table-hubble") and row_dicts(driver, "table-hubble"),
             what="the Hubble table")
    driver.execute_script("document.getElementById('ranking-track').scrollIntoView({block: 'start'});")
    time.sleep(0.5)
    driver.save_screenshot(str(SHOTS / "track.png"))


def test_the_column_chooser_hides_a_column(driver) -> None:
    open_tab(driver, "Hubble")
    wait_for(lambda: row_dicts(driver, "table-hubble"), what="the Hubble table")

    def shown() -> list[str]:
        return [h.text.strip() for h in driver.find_elements(By.CSS_SELECTOR, "#table-hubble th") if h.is_displayed()]

    assert "Submission" in shown()
    fold = driver.find_element(By.CSS_SELECTOR, "#columns-fold button, #columns-fold .label-wrap")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", fold)
    fold.click()

    def toggle() -> None:
        label = wait_for(lambda: [lb for lb in driver.find_elements(By.CSS_SELECTOR, "#columns-track label")
                                  if lb.text.strip() == "Submission" and lb.is_displayed()], what="the chooser")[0]
        label.click()

    toggle()
    wait_for(lambda: "Submission" not in shown() and "Codec" in shown(), what="the Submission column hidden")
    toggle()
    wait_for(lambda: "Submission" in shown(), what="the Submission column back")


def test_a_link_opens_a_hostile_submission_and_nothing_runs(served, driver) -> None:
    url, rec = served
    driver.get(f"{url}?tab=submission&submission={quote(rec.submission, safe='')}")
    details = wait_for(lambda: "Image digest" in (driver.find_element(By.ID, "submission-details").text or "")
                       and driver.find_element(By.ID, "submission-details").get_attribute("innerText"),
                       what="the hostile submission's page")
    for shown in (script("auth"), svg("auth"), md_link("desc"), script("desc"), f"sub-A{img('sub')}",
                  js_url("link")):
        assert shown in details, shown
    assert driver.find_elements(By.CSS_SELECTOR, "#submission-details a") == []
    state = driver.execute_script(_RAN_JS)
    assert state["pwned"] is None and state["markup"] == []
    assert state["title"] == "AstroCompress Challenge leaderboard"
    driver.get(url)


def test_about_submit_rules_and_citation_are_on_the_page(served, driver) -> None:
    """Each of the four pages opens from its tab and holds what a visitor needs (the texts are ours)."""
    expected = {"About": ("ratio", "portable", "estimate"), "How to submit": ("challenge submit", "encrypted"),
                "Rules": ("bit", "hidden", "digest"), "Citation": ("@inproceedings", "AstroCompress")}
    for title, words in expected.items():
        open_tab(driver, title)
        page_id = {"About": "about", "How to submit": "submit", "Rules": "rules", "Citation": "citation"}[title]
        text = wait_for(lambda page_id=page_id: driver.find_element(By.ID, f"{page_id}-text").text,
                        what=f"the {title} text")
        for word in words:
            assert word.lower() in text.lower(), (title, word)
    open_tab(driver, "Overview")


HOVER_JS = """
const points = document.querySelectorAll('#pareto-track .scatterlayer .trace .points path.point');
const r = points[arguments[0]].getBoundingClientRect();
const drag = document.querySelector('#pareto-track .nsewdrag');
const at = {clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, view: window};
drag.dispatchEvent(new MouseEvent('mouseover', at));
drag.dispatchEvent(new MouseEvent('mousemove', at));
"""
UNHOVER_JS = ("document.querySelector('#pareto-track .nsewdrag')"
              ".dispatchEvent(new MouseEvent('mouseout', {bubbles: true}))")


def test_pareto_hover_names_the_codec(driver) -> None:
    """Hovering a point of the Pareto plot shows the codec's name (synthetic rows: measured speeds)."""
    open_tab(driver, "Hubble")
    pick_data(driver, "Synthetic")
    wait_for(lambda: "synthetic" in driver.find_element(By.CSS_SELECTOR, "#pareto-track .gtitle").text,
             timeout=60, what="the Pareto plot of the synthetic data")
    n_points = wait_for(lambda: len(driver.find_elements(
        By.CSS_SELECTOR, "#pareto-track .scatterlayer .trace .points path.point")), what="the Pareto plot's points")
    driver.execute_script("document.querySelector('#pareto-track').scrollIntoView({block: 'center'});")
    names = set()
    for i in range(n_points):
        driver.execute_script(HOVER_JS, i)  # the mouse over point i
        hover = wait_for(lambda: " ".join(e.text for e in driver.find_elements(
            By.CSS_SELECTOR, "#pareto-track .hoverlayer .hovertext")), timeout=10, what="the hover label")
        names.add(hover.split("(")[0].strip())
        driver.execute_script(UNHOVER_JS)
    codecs = {r["Codec"].split("\n")[0] for r in row_dicts(driver, "table-hubble")}
    assert names and all(any(n and c.startswith(n) or n.startswith(c) for c in codecs) for n in names), (names, codecs)
    labels = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#pareto-track .scatterlayer .textpoint text")]
    assert labels and all(any(c.startswith(lbl) or lbl.startswith(c) for c in codecs) for lbl in labels), labels
    pick_data(driver, "Real data")
