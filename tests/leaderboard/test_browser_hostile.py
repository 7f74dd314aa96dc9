"""A hostile participant's strings on the published board: nothing runs, everything reads literally.

Every field a participant (or their codec) controls holds a payload that
would run script if it reached the page as markup: ``<script>``, an
``<img onerror>``, an ``<svg onload>``, a ``javascript:`` link, Markdown link
tricks, a quote that breaks out of an attribute, a bidi override. The store
is published to the local stand-in of the Hub
(``leaderboard.publish.publish.publish(..., hub_url="file://...")``) and the board is
served from the published dataset folder, as the Space reads it. Each
payload sets ``window.__pwned`` to its field's tag and changes the page
title, so a failure says which field ran.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from browser_support import (
    browser_available,
    choose_option,
    free_port,
    open_tab,
    pick_data,
    start_chromium,
    stop_chromium,
    wait_for,
)
from lb_factory import FINGERPRINT_CPU1, verified_record, write_baselines
from selenium.webdriver.common.by import By

from evaluator.results.fingerprints import Fingerprint
from evaluator.results.image_identity import ImageIdentity
from evaluator.results.records import Failure, ResultRecord, ResultStore, TrackSummary
from leaderboard.publish.publish import publish
from submissions.queue import states
from submissions.queue.limits import SubmissionLimits
from submissions.queue.submission_queue import SubmissionQueue

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not browser_available(), reason="no chromium/chromedriver"),
              pytest.mark.timeout(300)]

BIDI = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: text after it displays reversed


def js(tag: str) -> str:
    return f"__pwned='{tag}';document.title='pwned'"


def script(tag: str) -> str:
    return f"<script>{js(tag)}</script>"


def img(tag: str) -> str:
    return f'<img src=x onerror="{js(tag)}">'


def svg(tag: str) -> str:
    return f'<svg onload="{js(tag)}">'


def js_url(tag: str) -> str:
    return f"javascript:{js(tag)}"


def md_link(tag: str) -> str:
    return f"[click]({js_url(tag)})"


def md_image(tag: str) -> str:
    return f'![x](x" onerror="{js(tag)})'


def attr_break(tag: str) -> str:
    return f'"><b>{tag}</b><img src=x onerror="{js(tag)}">'


HOSTILE_SPLIT = f"synthetic-{img('split')}"


def _hostile_record(letter: str, track: str, link: str) -> tuple[ResultRecord, object]:
    rec, items = verified_record("hostile", track, codec=f"Hostile{letter} {img('codec')}{svg('codec')}",
                                 submission=f"sub-{letter}{img('sub')}", split=HOSTILE_SPLIT, seed=7)
    rec.manifest = {"name": f"hostile-{letter}", "authors": [script("auth"), svg("auth")],
                    "license": attr_break("lic"), "version": f"1.0{img('ver')}",
                    "description": f"{md_link('desc')} {md_image('desc')} {script('desc')} {BIDI}desrever",
                    "link": link}
    rec.fingerprint = Fingerprint.from_json(dict(FINGERPRINT_CPU1, cpu_model=f"Xeon {img('fp')}",
                                                 image_digest=rec.image_digest))
    items["item_id"] = [f"{svg('item')}-{i}" for i in range(len(items))]
    return rec, items


def _failed_record() -> ResultRecord:
    """HostileA on LCO: a crash whose message ends with the codec's stderr tail."""
    rec, _ = _hostile_record("A", "lco", js_url("link"))
    stderr = f"stderr tail:\n{script('fail')}\n{img('fail')}\n{md_link('fail')}\n{BIDI}deilppa"
    return dataclasses.replace(rec, status="failed", summary=TrackSummary(),
                               failure=Failure("crash", f"the decoder crashed {img('fail')}\n{stderr}"))


def _hostile_queue(folder: Path) -> SubmissionQueue:
    """A queue whose entries carry hostile participants, names and reasons (through the queue's own API)."""
    queue = SubmissionQueue(folder, limits=SubmissionLimits(per_day=50))
    failed = queue.enqueue(participant=script("qp"), name=svg("qn"), image=ImageIdentity.frozen("sha256:" + "8" * 64),
                           now=1_000)
    queue.claim("w")
    queue.transition(failed.id, states.RUNNING, "loaded", owner="w")
    queue.transition(failed.id, states.FAILED, f"crash: {img('qr')} {md_link('qr')} {BIDI}nosaer", owner="w")
    queue.enqueue(participant=img("qp"), name=svg("qn"), image=ImageIdentity.frozen("sha256:" + "9" * 64), now=2_000)
    return queue


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from leaderboard.app.page import serve

    root: Path = tmp_path_factory.mktemp("lb-hostile")
    store = ResultStore(str(root / "results"))
    write_baselines(store, ["hubble"])
    for letter, link in (("A", js_url("link")), ("B", f"x>{img('link')}")):
        for track in ("keck", "hubble"):
            rec, items = _hostile_record(letter, track, link)
            store.write(rec, items)
    store.write(_failed_record())
    queue = _hostile_queue(root / "queue")
    hub = root / "hub"
    publish(store.url, "org/results", hub_url=f"file://{hub}", queue_dir=queue.folder)
    demo, url = serve(f"file://{hub}/datasets/org/results", None, port=free_port(), refresh_s=2.0, block=False)
    yield url
    demo.close()


_RAN_JS = """
const found = [];
for (const el of document.querySelectorAll('*')) {
  for (const a of el.attributes) {
    const v = a.value || '';
    if ((a.name.startsWith('on') && v.includes('pwned')) ||
        (['href', 'src', 'xlink:href', 'action'].includes(a.name) && /^\\s*javascript:/i.test(v))) {
      found.push(el.tagName + ' ' + a.name + '=' + v.slice(0, 60));
    }
  }
  if (el.tagName === 'SCRIPT' && (el.textContent || '').trim().startsWith('__pwned=')) {
    found.push('SCRIPT ' + el.textContent);
  }
}
return {title: document.title, pwned: (typeof window.__pwned === 'undefined') ? null : String(window.__pwned),
        markup: found};
"""


@pytest.fixture(scope="module")
def driver(served):
    drv, profile = start_chromium()
    drv.get(served)
    wait_for(lambda: drv.find_elements(By.CSS_SELECTOR, "button[role=tab]"), what="the app to render")
    yield drv
    stop_chromium(drv, profile)


def assert_nothing_ran(driver, where: str) -> None:
    state = driver.execute_script(_RAN_JS)
    assert state["pwned"] is None, f"{where}: the payload of the field {state['pwned']!r} ran"
    assert state["title"] == "AstroCompress Challenge leaderboard", f"{where}: the title changed: {state['title']!r}"
    assert state["markup"] == [], f"{where}: live hostile markup in the page: {state['markup']}"


def page_text(driver, elem_id: str) -> str:
    return driver.find_element(By.ID, elem_id).get_attribute("innerText") or ""


def input_value(driver, elem_id: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, f"#{elem_id} input").get_attribute("value") or ""


def test_overview_and_tracks_show_hostile_names_literally(driver) -> None:
    open_tab(driver, "Overview")
    pick_data(driver, "Other synthetic")  # the hostile split is a data view of its own; its label reads as typed
    choice = driver.find_element(By.CSS_SELECTOR, "#data-choice input[type=radio]:checked")
    assert HOSTILE_SPLIT in choice.find_element(By.XPATH, "..").text
    assert_nothing_ran(driver, "the data selector")
    text = wait_for(lambda: "HostileA" in page_text(driver, "table-overview") and page_text(driver, "table-overview"),
                    what="the hostile rows in the overview")
    assert_nothing_ran(driver, "overview")
    assert f"HostileA {img('codec')}" in text and HOSTILE_SPLIT in text

    open_tab(driver, "Keck")
    ranking = wait_for(lambda: "HostileB" in page_text(driver, "ranking-track") and page_text(driver, "ranking-track"),
                       what="the hostile rows in the Keck table")
    assert_nothing_ran(driver, "Keck track")
    assert f"HostileB {img('codec')}{svg('codec')}" in ranking and f"sub-B{img('sub')}" in ranking
    assert HOSTILE_SPLIT in ranking
    assert f"Xeon {img('fp')}" in page_text(driver, "runtime-track")  # the machine label (from the fingerprint)
    # the plots: plotly reads names as markup (legend, axis, hover); the names show as typed
    legends = wait_for(lambda: [t.get_attribute("textContent") for t in driver.find_elements(
        By.CSS_SELECTOR, "#noise-track .legendtext") if "Hostile" in (t.get_attribute("textContent") or "")],
        timeout=60, what="the noise plot's legend")
    assert f"HostileA {img('codec')}{svg('codec')}" in legends
    ticks = [t.get_attribute("textContent") for t in driver.find_elements(By.CSS_SELECTOR, "#dist-track .xtick text")]
    assert f"HostileB {img('codec')}{svg('codec')}" in ticks
    assert HOSTILE_SPLIT in driver.find_element(By.CSS_SELECTOR, "#pareto-track").get_attribute("textContent")
    assert input_value(driver, "plot-data-track") == f"{HOSTILE_SPLIT} (2 codecs)"  # a dropdown choice, as text
    assert_nothing_ran(driver, "Keck track")

    open_tab(driver, "Hubble")  # hostile rows beside the baselines
    wait_for(lambda: "HostileA" in page_text(driver, "ranking-track"), what="the hostile rows in the Hubble table")
    assert_nothing_ran(driver, "Hubble track")


@pytest.mark.parametrize("letter", ["A", "B"])
def test_submission_page_shows_every_field_literally(driver, letter: str, artifacts_dir) -> None:
    open_tab(driver, "Submission")
    choose_option(driver, "submission-choice", f"Hostile{letter}")
    details = wait_for(lambda: f"Hostile{letter}" in page_text(driver, "submission-details")
                       and "Image digest" in page_text(driver, "submission-details")
                       and page_text(driver, "submission-details"), what="the submission details")
    assert_nothing_ran(driver, f"submission {letter}")
    wait_for(lambda: page_text(driver, "submission-items"), what="the per-item rows")
    assert_nothing_ran(driver, f"submission {letter} with its per-item rows")
    for shown in (script("auth"), svg("auth"), attr_break("lic"), md_link("desc"), md_image("desc"),
                  script("desc"), f"sub-{letter}{img('sub')}", f"1.0{img('ver')}"):
        assert shown in details, shown
    assert BIDI not in details and "[U+202E]desrever" in details  # the override shows, never applies
    links = driver.find_elements(By.CSS_SELECTOR, "#submission-details a")
    link_text = js_url("link") if letter == "A" else f"x>{img('link')}"
    assert link_text in details and links == []  # not an http(s) URL: text, never an anchor
    if letter == "A":
        assert f"the decoder crashed {img('fail')}" in details
        tracks = page_text(driver, "submission-tracks")
        assert script("fail") in tracks and md_link("fail") in tracks
    assert input_value(driver, "submission-choice").startswith(f"Hostile{letter} {img('codec')}{svg('codec')}")
    assert HOSTILE_SPLIT in input_value(driver, "submission-record")
    fingerprint = wait_for(lambda: page_text(driver, "submission-fingerprint"), what="the fingerprint")
    assert json.dumps(f"Xeon {img('fp')}") in fingerprint  # the fingerprint as JSON, shown as text
    items = wait_for(lambda: page_text(driver, "submission-items"), what="the per-item rows")
    assert f"{svg('item')}-0" in items
    driver.save_screenshot(str(artifacts_dir / f"hostile-submission-{letter}.png"))


def test_queue_tab_shows_hostile_entries_literally(driver) -> None:
    open_tab(driver, "Queue")
    table = wait_for(lambda: "pending" in page_text(driver, "queue-table") and page_text(driver, "queue-table"),
                     what="the queue table")
    assert_nothing_ran(driver, "queue")
    for shown in (script("qp"), img("qp"), svg("qn"), f"crash: {img('qr')} {md_link('qr')}", "[U+202E]nosaer"):
        assert shown in table, shown
    assert BIDI not in table


def test_nothing_ran_on_the_whole_visit(driver) -> None:
    body = driver.find_element(By.TAG_NAME, "body").get_attribute("innerText") or ""
    assert "<script>" in body  # the last tab's text, as typed
    assert_nothing_ran(driver, "end of the visit")
