"""The Near-lossless tab in a real browser: pick Keck, see one line per codec and one bound per table.

A screenshot of the tab goes to the test's tmp dir (and ``/tmp/shots/near-lossless.png``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from browser_support import (
    browser_available,
    choose_option,
    free_port,
    open_board,
    open_tab,
    row_dicts,
    stop_chromium,
    table_headers,
    wait_for,
)
from lb_factory import write_baselines
from nl_factory import CODECS, near_lossless_record, write_near_lossless
from selenium.webdriver.common.by import By
from test_browser_hostile import assert_nothing_ran, img, svg

from evaluator.results.records import ResultStore
from leaderboard.safe_text import plot_text
from leaderboard.views.near_lossless import BOUND_TITLE

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not browser_available(), reason="no chromium/chromedriver"),
              pytest.mark.timeout(300)]

HOSTILE = f"HostileNL {img('nl')}{svg('nl')}"
VARIANTS = ("keck-nl1", "keck-nl2", "keck-nl4", "keck-nlsigma")
SHOTS = Path("/tmp/shots")

_TRACES_JS = """
const plot = document.querySelector('#nl-plot .js-plotly-plot');
return plot && plot.data ? plot.data.map(t => [t.name, t.mode, (t.x || []).map(Number)]) : null;
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leaderboard.app.page import serve

    root: Path = tmp_path_factory.mktemp("lb-near-lossless")
    store = ResultStore(str(root / "results"))
    write_baselines(store, ["keck"])
    write_near_lossless(store)
    for track, factor in (("keck", 1.0), ("keck-nl1", 1.25), ("keck-nlsigma", 2.2), ("hubble-nl2", 1.5)):
        store.write(*near_lossless_record("hostile-nl", track, factor, codec=HOSTILE, seed=3))
    demo, url = serve(store.url, None, port=free_port(), refresh_s=60.0, block=False)
    yield url, store
    demo.close()


@pytest.fixture(scope="module")
def driver(served):
    drv, profile = open_board(served[0], 1366, 2600)
    yield drv
    stop_chromium(drv, profile)


def test_keck_plot_and_one_bound_per_table(driver, tmp_path: Path) -> None:
    open_tab(driver, "Near-lossless")
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#nl-tables table"), timeout=60, what="the first view")
    choose_option(driver, "nl-track", "Keck")
    wait_for(lambda: all(driver.find_elements(By.ID, f"nl-{v}") for v in VARIANTS), timeout=60,
             what="the four Keck bound tables")
    traces = wait_for(lambda: driver.execute_script(_TRACES_JS), timeout=30, what="the plotly traces")
    lines = {name: x for name, mode, x in traces if mode == "lines+markers"}
    assert set(lines) == {*CODECS.values(), plot_text(HOSTILE)}  # one line per codec (plotly's markup escaped)
    assert all(x[0] == 0 for x in lines.values())  # from the lossless record (delta 0)
    legend = driver.find_element(By.CSS_SELECTOR, "#nl-plot .legend").text
    assert all(name in legend for name in (*CODECS.values(), HOSTILE))  # the hostile name reads as written
    for variant in VARIANTS:
        rows = row_dicts(driver, f"nl-{variant}")
        ok = [r for r in rows if r["Status"] == "ok"]
        bounds = {r[BOUND_TITLE] for r in ok}
        assert len(bounds) == 1, f"{variant}: rows of several bounds {bounds}"
        ratios = [float(r["Ratio (mean)"]) for r in ok]
        assert ratios == sorted(ratios, reverse=True) and ok[0]["Rank"] == "1"
    failed = [r for r in row_dicts(driver, "nl-keck-nl2") if r["Status"] != "ok"]
    assert len(failed) == 1 and "bound_exceeded" in failed[0]["Status"] and failed[0]["Rank"] == ""
    assert "every pixel" in driver.find_element(By.ID, "nl-note").text
    assert_nothing_ran(driver, "the near-lossless tab")
    shot = tmp_path / "near-lossless.png"
    driver.execute_script("document.getElementById('tab-near-lossless').scrollIntoView();")
    driver.save_screenshot(str(shot))
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SHOTS / "near-lossless.png")
    assert shot.stat().st_size > 10_000


def test_lossless_tabs_show_no_near_lossless_row(driver) -> None:
    open_tab(driver, "Keck")
    rows = wait_for(lambda: row_dicts(driver, "table-keck"), what="the Keck table")
    assert all(r["Status"] == "ok" for r in rows) and len(rows) == 5 + len(CODECS) + 1  # lossless records only
    open_tab(driver, "Overview")
    headers = table_headers(driver, "table-overview")
    assert not any("δ" in h for h in headers)


def test_refresh_re_renders_the_open_view(served, driver) -> None:
    open_tab(driver, "Near-lossless")
    wait_for(lambda: driver.find_elements(By.ID, "nl-keck-nl4"), timeout=60, what="the Keck view")
    served[1].write(*near_lossless_record("nlcodec-c", "keck-nl4", 9.0, codec="Gamma NL", seed=5))
    driver.find_element(By.ID, "refresh-button").click()
    rows = wait_for(lambda: (lambda rs: rs if any(r["Codec"] == "Gamma NL" for r in rs) else [])(
        row_dicts(driver, "nl-keck-nl4")), timeout=30, what="the new record after a refresh")
    assert rows[0]["Codec"] == "Gamma NL" and rows[0]["Rank"] == "1"


def test_a_link_opens_the_view(served, driver) -> None:
    driver.get(served[0] + "?track=keck-nl2")
    wait_for(lambda: driver.find_elements(By.ID, "nl-keck-nl2"), timeout=60, what="the view from the link")
    tab = driver.find_element(By.CSS_SELECTOR, "button[role=tab][aria-selected=true]")
    assert tab.text.strip() == "Near-lossless"
