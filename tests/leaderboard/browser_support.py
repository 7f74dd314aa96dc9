"""Headless Debian Chromium for the leaderboard's browser tests and benchmark."""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from evaluator.core.tracks import TRACKS

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")

T = TypeVar("T")
TRACK_NAMES = {t.title: name for name, t in TRACKS.items()}  # title -> track name


def browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_chromium(width: int = 1400, height: int = 1800) -> tuple[webdriver.Chrome, str]:
    profile = tempfile.mkdtemp(prefix="lb-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
    return driver, profile


def stop_chromium(driver: webdriver.Chrome, profile: str) -> None:
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.25, what: str = "condition") -> T:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (StaleElementReferenceException, NoSuchElementException, LookupError, ValueError) as exc:
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f" ({last_error})" if last_error else ""))


def open_tab(driver: webdriver.Chrome, title: str) -> None:
    """Open the tab called ``title``; a track's title opens the Tracks tab, picks that track and waits for it."""
    def click_tab(name: str) -> bool:
        # done once the tab is selected: a click that lands before the page's scripts are live is lost
        # (the button is there, nothing happens), so a later poll clicks again
        for button in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]"):
            if button.text.strip() == name:
                if button.get_attribute("aria-selected") == "true":
                    return True
                button.click()
                return False
        return False

    def pick_track() -> bool:
        for label in driver.find_elements(By.CSS_SELECTOR, "#track-choice label"):
            if label.text.strip() == title and label.is_displayed():
                radio = label.find_element(By.CSS_SELECTOR, "input[type=radio]")
                if not radio.is_selected():
                    label.click()
                return True
        return False

    if title in TRACK_NAMES:
        wait_for(lambda: click_tab("Tracks"), what="tab 'Tracks'")
        wait_for(pick_track, what=f"track {title!r}")
        # the cost table comes with the plots and CSVs (one response): once it names the track, all of it does
        wait_for(lambda: driver.find_elements(By.ID, f"cost-{TRACK_NAMES[title]}"), timeout=60,
                 what=f"the {title} track's cost table, plots and CSVs")
    else:
        wait_for(lambda: click_tab(title), what=f"tab {title!r}")


def choose_option(driver: webdriver.Chrome, elem_id: str, text: str) -> None:
    """Pick the option of dropdown ``#elem_id`` whose label contains ``text``."""
    box = wait_for(lambda: driver.find_element(By.CSS_SELECTOR, f"#{elem_id} input"), what=f"#{elem_id}")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.click()
    option = wait_for(lambda: [li for li in driver.find_elements(By.CSS_SELECTOR, "li[role=option]")
                               if text in (li.get_attribute("aria-label") or li.text)], what=f"the option {text!r}")[0]
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", option)
    option.click()


_ROWS_JS = """
const table = document.getElementById(arguments[0]);
if (!table) { return null; }
return Array.from(table.querySelectorAll('[role=row]'))
  .map(r => Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.innerText.trim()))
  .filter(cells => cells.length > 0);
"""


def table_rows(driver: webdriver.Chrome, elem_id: str) -> list[list[str]]:
    """Body rows of a Gradio 6 dataframe (a virtual grid of role=row / role=gridcell), in one round trip."""
    rows = driver.execute_script(_ROWS_JS, elem_id)
    if rows is None:
        raise LookupError(f"no element #{elem_id}")
    return rows


_ALL_ROWS_JS = """
const [id, done] = [arguments[0], arguments[arguments.length - 1]];
const table = document.getElementById(id);
if (!table) { done(null); return; }
const first = table.querySelector('[role=row][data-index]');
let box = first ? first.parentElement : null;
while (box && !(box.scrollHeight > box.clientHeight + 2 &&
                ['auto', 'scroll'].includes(getComputedStyle(box).overflowY))) { box = box.parentElement; }
const rows = new Map();
const grab = () => table.querySelectorAll('[role=row][data-index]').forEach(r => {
  const cells = Array.from(r.querySelectorAll('[role=gridcell]')).map(c => c.innerText.trim());
  if (cells.length) rows.set(Number(r.dataset.index), cells);
});
grab();
if (!box) { done(Array.from(rows.entries()).sort((a, b) => a[0] - b[0]).map(e => e[1])); return; }
box.scrollTop = 0;
const step = () => {
  grab();
  if (box.scrollTop + box.clientHeight >= box.scrollHeight - 1) {
    box.scrollTop = 0;
    done(Array.from(rows.entries()).sort((a, b) => a[0] - b[0]).map(e => e[1]));
    return;
  }
  box.scrollTop += Math.max(50, box.clientHeight * 0.7);
  setTimeout(step, 120);
};
setTimeout(step, 120);
"""


def row_dicts(driver: webdriver.Chrome, elem_id: str) -> list[dict[str, str]]:
    """The shown rows of table ``#elem_id``, each as {header: cell}."""
    headers = table_headers(driver, elem_id)
    return [dict(zip(headers, r)) for r in table_rows(driver, elem_id)]


def open_board(url: str, width: int, height: int) -> tuple[webdriver.Chrome, str]:
    """A Chromium window of ``width`` x ``height`` on the board at ``url``, once the overview table is filled."""
    driver, profile = start_chromium(width, height)
    driver.get(url)
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "#table-overview [role=gridcell]"), what="the overview")
    return driver, profile


def all_table_rows(driver: webdriver.Chrome, elem_id: str) -> list[list[str]]:
    """Every body row of a virtualised Gradio dataframe: scrolls it through, collecting rows by index."""
    driver.set_script_timeout(30)
    rows = driver.execute_async_script(_ALL_ROWS_JS, elem_id)
    if rows is None:
        raise LookupError(f"no element #{elem_id}")
    return rows


def table_headers(driver: webdriver.Chrome, elem_id: str) -> list[str]:
    table = driver.find_element(By.ID, elem_id)
    return [h.text.strip() for h in table.find_elements(By.CSS_SELECTOR, "[role=columnheader]")]


def pick_data(driver: webdriver.Chrome, words: str) -> None:
    """Pick the data view whose label contains ``words`` (the selector at the top of the page)."""
    label = wait_for(lambda: [lb for lb in driver.find_elements(By.CSS_SELECTOR, "#data-choice label")
                              if words in lb.text and lb.is_displayed()], what=f"the data choice {words!r}")[0]
    if not label.find_element(By.CSS_SELECTOR, "input[type=radio]").is_selected():
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", label)
        label.click()


def open_filters(driver: webdriver.Chrome) -> None:
    """Unfold the filters (hardware, provenance, method, ranking key) if they are folded."""
    if any(e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, "#filter-provenance label")):
        return
    fold = driver.find_element(By.CSS_SELECTOR, "#filters button, #filters .label-wrap")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", fold)
    fold.click()
    wait_for(lambda: any(e.is_displayed() for e in driver.find_elements(By.CSS_SELECTOR, "#filter-provenance label")),
             what="the filters unfolded")
