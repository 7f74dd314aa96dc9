"""Headless Debian Chromium for the leaderboard's browser tests and benchmark."""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Callable, TypeVar

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run")

T = TypeVar("T")


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
        except (StaleElementReferenceException, LookupError, ValueError) as exc:
            last_error = exc
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f" ({last_error})" if last_error else ""))


def open_tab(driver: webdriver.Chrome, title: str) -> None:
    def click() -> bool:
        for button in driver.find_elements(By.CSS_SELECTOR, "button[role=tab]"):
            if button.text.strip() == title:
                button.click()
                return True
        return False

    wait_for(click, what=f"tab {title!r}")


def table_rows(driver: webdriver.Chrome, elem_id: str) -> list[list[str]]:
    """Body rows of a Gradio 6 dataframe (a virtual grid of role=row / role=gridcell)."""
    table = driver.find_element(By.ID, elem_id)
    rows = []
    for row in table.find_elements(By.CSS_SELECTOR, "[role=row]"):
        cells = row.find_elements(By.CSS_SELECTOR, "[role=gridcell]")
        if cells:
            rows.append([c.text.strip() for c in cells])
    return rows


def table_headers(driver: webdriver.Chrome, elem_id: str) -> list[str]:
    table = driver.find_element(By.ID, elem_id)
    return [h.text.strip() for h in table.find_elements(By.CSS_SELECTOR, "[role=columnheader]")]
