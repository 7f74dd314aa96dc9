"""Issue 13 in a real browser: plots show one data label at a time; cost, intervals, Table 2 visible."""

from __future__ import annotations

from pathlib import Path

import pytest
from browser_support import (
    all_table_rows,
    browser_available,
    free_port,
    open_tab,
    pick_data,
    start_chromium,
    stop_chromium,
    table_headers,
    wait_for,
)
from lb_factory import verified_record, write_baselines
from selenium.webdriver.common.by import By

from baselines.paper_seeds import seed_paper_results, seed_paper_table2
from evaluator.results.records import ResultStore

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not browser_available(), reason="no chromium/chromedriver"),
              pytest.mark.timeout(300)]

MAIN = "synthetic default (small, seed 0), full test"  # five baselines: the default synthetic set
OTHER = "synthetic (small, seed 1), full test"  # two codecs only: a data view of its own (issue 23)
OTHER_CODECS = {"Other-A", "Other-B"}

_PLOT_JS = """
const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
if (!gd || !gd.data) { return null; }
return {names: gd.data.map(t => t.name || ''), title: (gd.layout.title && gd.layout.title.text) || ''};
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leaderboard.app.page import serve

    root: Path = tmp_path_factory.mktemp("lb-browser-13")
    store = ResultStore(str(root / "results"))
    seed_paper_results(store)
    seed_paper_table2(store)
    write_baselines(store, ["hubble"])
    for i, name in enumerate(sorted(OTHER_CODECS)):
        rec, items = verified_record("jpegls", "hubble", codec=name, submission=f"sub-{name}", split=OTHER, seed=i)
        store.write(rec, items)
    demo, url = serve(store.url, None, port=free_port(), refresh_s=1.0, block=False)
    yield url
    demo.close()


@pytest.fixture(scope="module")
def driver(served):
    drv, profile = start_chromium()
    drv.get(served)
    wait_for(lambda: drv.find_elements(By.CSS_SELECTOR, "button[role=tab]"), what="the app to render")
    yield drv
    stop_chromium(drv, profile)


def _plot(driver, elem_id: str) -> dict | None:
    return driver.execute_script(_PLOT_JS, elem_id)


def _codec_traces(info: dict) -> set[str]:
    return {n for n in info["names"] if n and "front" not in n and "noise floor" not in n}


def _plots_show(driver, label: str, codecs: set[str] | None = None, exclude: set[str] = frozenset()) -> bool:
    for elem in ("pareto-track", "dist-track", "exptime-track", "noise-track"):
        info = _plot(driver, elem)
        if not info or f"data: {label}" not in info["title"]:
            return False
        if elem != "pareto-track":  # the Pareto plot's traces are profiles, the others' are codecs
            names = _codec_traces(info)
            if codecs is not None and names != codecs or names & exclude:
                return False
    return True


def test_each_plot_shows_one_data_label(driver, artifacts_dir) -> None:
    open_tab(driver, "Hubble")
    pick_data(driver, "Synthetic frames, default")
    baselines = {"JPEG-XL (max)", "JPEG-XL", "JPEG-LS", "JPEG-2000", "RICE"}
    wait_for(lambda: _plots_show(driver, MAIN, baselines, exclude=OTHER_CODECS), timeout=60,
             what="plots of the default data label (the one with the most codecs)")
    driver.save_screenshot(str(artifacts_dir / "hubble-plots-main-label.png"))

    pick_data(driver, "Other synthetic")  # rows on other data: another view, never in the same plot
    wait_for(lambda: _plots_show(driver, OTHER, OTHER_CODECS, exclude=baselines), timeout=60,
             what="plots of the chosen data label only")
    options = driver.find_element(By.CSS_SELECTOR, "#plot-data-track input").get_attribute("value")
    assert OTHER in options and MAIN not in options
    driver.save_screenshot(str(artifacts_dir / "hubble-plots-other-label.png"))


def test_track_tab_shows_intervals_tied_ranks_and_cost_with_sources(driver) -> None:
    open_tab(driver, "Hubble")
    pick_data(driver, "Synthetic frames, default")
    def interval_headers() -> list[str] | None:
        h = table_headers(driver, "table-hubble")
        return h if "95 % interval (mean)" in h else None

    headers = wait_for(interval_headers, what="the interval column")
    assert "Gain vs RICE (%)" in headers
    rows = [dict(zip(headers, r)) for r in all_table_rows(driver, "table-hubble")]
    measured = [r for r in rows if r["Data"] == MAIN]
    assert measured and all(" - " in r["95 % interval (mean)"] for r in measured)
    assert next(r for r in measured if r["Codec"].startswith("RICE"))["Gain vs RICE (%)"] == "0"
    cost_headers = table_headers(driver, "cost-hubble")
    assert "Encode core-h/TB" in cost_headers and "Roman: encode core-h/day" in cost_headers
    sources = driver.find_element(By.ID, "cost-sources").get_attribute("textContent")
    for cited in ("arXiv:2506.08306", "jwst-docs.stsci.edu", "arXiv:1408.0835", "Preparing for Roman"):
        assert cited in sources


def test_generalization_tab_shows_table_2(driver, artifacts_dir) -> None:
    open_tab(driver, "Generalization")
    rows = wait_for(lambda: all_table_rows(driver, "table-cross-track"), what="the cross-track table")
    headers = table_headers(driver, "table-cross-track")
    keck = next(dict(zip(headers, r)) for r in rows if r[0] == "Keck")
    assert keck["SDSS-2D"] == "3.02" and keck["Badges"] == "paper"
    driver.save_screenshot(str(artifacts_dir / "generalization.png"))
