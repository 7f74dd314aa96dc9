"""Our VDM estimate rows: shown on each paper track with the *estimate* badge and their spread, never ranked."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
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
from lb_factory import write_baselines
from selenium.webdriver.common.by import By

from baselines.neural.vdm_records import CODEC, estimate_record, seed_vdm_estimates
from baselines.paper_seeds import seed_paper_results
from evaluator.results.records import ResultStore
from leaderboard.board.board_data import Filters, LeaderboardData
from leaderboard.data.store_reader import StoreReader
from leaderboard.views.tables import INTERVAL_TITLE

SPLIT = "synthetic-small-s0:full_test"


def _strong_estimate(track: str) -> tuple:
    """An estimate far above every codec, on the same item ids as lb_factory's records (so it would outrank them)."""
    items = [{"item_id": f"synthetic-{track}-{i:03d}", "shape": [256, 256], "npix": 65536, "bpp": 1.6 + 0.01 * i,
              "stderr": 0.01, "samples": [1.6], "seconds": 1.0} for i in range(6)]
    return estimate_record({"track": track, "split": SPLIT, "synthetic": True,
                            "created_at": "2026-12-01T00:00:00+00:00", "info": {"samples": 1}, "items": items})


def _ranks(table: pd.DataFrame) -> dict[str, int]:
    return {s: r for s, r in zip(table["Submission"], table["Rank"]) if not pd.isna(r)}


def _table(store: ResultStore, track: str) -> tuple[pd.DataFrame, LeaderboardData]:
    data = LeaderboardData(StoreReader(store.url))
    data.refresh(force=True)
    return data.render_track(track, Filters())[0], data


def test_estimate_rows_are_never_ranked_and_leave_codec_ranks_alone(store):
    write_baselines(store, ["sdss-2d"])
    seed_paper_results(store)
    before, _ = _table(store, "sdss-2d")
    rec, items = _strong_estimate("sdss-2d")
    store.write(replace(rec, submission="estimate-strong", codec="Strong bound"), items)
    seed_vdm_estimates(store)
    after, data = _table(store, "sdss-2d")
    estimates = after[after["Badges"].str.contains("badge-estimate")]
    codecs = set(estimates["Codec"].str.replace(r"<.*", "", regex=True))
    assert {CODEC, "Strong bound", "VDM"} <= codecs  # ours (shipped), the strong one, the paper's
    assert estimates["Rank"].isna().all()
    ours = estimates[estimates["Codec"].str.startswith(CODEC)].iloc[0]
    assert ours[INTERVAL_TITLE].startswith("bound ± ") and "badge-synthetic" in ours["Badges"]
    assert _ranks(after) == _ranks(before)
    stats = data.track_stats(data.track_rows("sdss-2d", Filters()), "sdss-2d")
    assert not any("estimate" in k for k in stats["key"])


def test_a_bound_training_did_not_move_carries_a_visible_badge_and_a_moved_one_does_not(store):
    write_baselines(store, ["sdss-2d"])
    rec, items = _strong_estimate("sdss-2d")
    flat, _ = estimate_record({"track": "sdss-2d", "split": SPLIT, "synthetic": True,
                               "created_at": "2026-12-01T00:00:00+00:00",
                               "info": {"samples": 1, "moved": 0.0123, "bound_moved": False},
                               "items": [{**i, "seconds": 1.0} for i in _items("sdss-2d")]})
    hostile = {**flat.manifest, "bound_note": '"><script>alert(1)</script>'}
    store.write(replace(flat, submission="estimate-flat", codec="Flat bound"), items)
    store.write(replace(rec, submission="estimate-moved", codec="Moved bound",
                        manifest={**rec.manifest, "bound_moved": True}), items)
    store.write(replace(flat, submission="estimate-hostile", codec="Hostile bound", manifest=hostile), items)
    table, _ = _table(store, "sdss-2d")
    badges = dict(zip(table["Submission"], table["Badges"]))
    assert "badge-untrained" in badges["estimate-flat"] and "≈ untrained preconditioner" in badges["estimate-flat"]
    assert "1.23 %" in badges["estimate-flat"]  # the tooltip says by how much the bound moved
    assert "badge-untrained" not in badges["estimate-moved"]
    assert "<script>" not in badges["estimate-hostile"] and "&lt;script&gt;" in badges["estimate-hostile"]
    assert not any("badge-untrained" in b for s, b in badges.items() if not s.startswith("estimate-"))


def _items(track: str) -> list[dict]:
    return [{"item_id": f"synthetic-{track}-{i:03d}", "shape": [256, 256], "npix": 65536, "bpp": 5.0,
             "stderr": 0.01, "samples": [5.0]} for i in range(6)]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leaderboard.app.page import serve

    store = ResultStore(str(tmp_path_factory.mktemp("lb-vdm") / "results"))
    seed_paper_results(store)
    write_baselines(store, ["hubble"])
    seed_vdm_estimates(store)
    demo, url = serve(store.url, None, port=free_port(), refresh_s=1.0, block=False)
    yield url
    demo.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.skipif(not browser_available(), reason="no chromium/chromedriver")
def test_track_tab_shows_the_vdm_estimate_with_badge_and_spread_and_no_rank(served, artifacts_dir):
    drv, profile = start_chromium()
    try:
        drv.get(served)
        wait_for(lambda: drv.find_elements(By.CSS_SELECTOR, "button[role=tab]"), what="the app to render")
        open_tab(drv, "Hubble")

        def vdm_rows() -> list[dict[str, str]] | None:
            headers = table_headers(drv, "table-hubble")
            rows = [dict(zip(headers, r)) for r in all_table_rows(drv, "table-hubble")]
            return [r for r in rows if r.get("Codec", "").startswith("VDM")] or None

        # the paper's VDM on the real data (the page's default), ours on the synthetic frames: two views (issue 23)
        paper = wait_for(vdm_rows, timeout=60, what="the paper's VDM estimate row")[0]
        assert "estimate" in paper["Badges"] and paper["Rank"] == ""
        pick_data(drv, "Synthetic")
        rows = wait_for(lambda: (lambda rs: rs if rs and rs[0]["Codec"].startswith(CODEC) else None)(vdm_rows()),
                        timeout=60, what="our VDM estimate row on the synthetic frames")
        ours = rows[0]
        assert "estimate" in ours["Badges"] and "synthetic" in ours["Badges"]
        assert ours["Rank"] == ""
        assert ours[INTERVAL_TITLE].startswith("bound ± ") and "bpp" in ours[INTERVAL_TITLE]
        assert float(ours["Ratio (mean)"]) > 1.0 and float(ours["Bits/pixel"]) > 0
        drv.execute_script("""const c = Array.from(document.querySelectorAll('#table-hubble [role=gridcell]'))
            .find(e => e.innerText.startsWith(arguments[0])); if (c) c.scrollIntoView({block: 'center'});""", CODEC)
        drv.save_screenshot(str(artifacts_dir / "hubble-vdm-estimate.png"))
    finally:
        stop_chromium(drv, profile)
