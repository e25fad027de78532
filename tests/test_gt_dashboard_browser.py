"""`gt dashboard` in headless Chromium (the system's, driven by Playwright): the panels of a
seeded town, a sling clicked in the page landing in the ledger, a commit by `bd` in another
process on the page within a second, a hostile title shown as text."""

from __future__ import annotations

import importlib.util
import json
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard_helpers import (
    CHROMIUM,
    CHROMIUM_FLAGS,
    HOSTILE,
    Served,
    seeded_dashboard,
)
from tests.gt_helpers import bd

playwright_api = pytest.importorskip("playwright.sync_api",
                                     reason="playwright is not installed (./tasks installs it)")
# The module shares a served town and a browser: its tests stay on one worker in a parallel run.
pytestmark = [pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine "
                                 "(./tasks installs Debian's chromium when run as root)"),
              pytest.mark.xdist_group("dashboard_browser")]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with seeded_dashboard(tmp_path_factory.mktemp("browser")) as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with playwright_api.sync_playwright() as driver, \
            tempfile.TemporaryDirectory() as profile:
        context = driver.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1440, "height": 900})
        yield context
        context.close()


def open_page(browser: Any, served: Served) -> Any:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    page.goto(f"{served.url}/?token={served.token}")
    page.wait_for_selector("#live:text('live')", timeout=10_000)
    return page


def test_the_panels_show_the_seeded_town(browser: Any, served: Served) -> None:
    page = open_page(browser, served)
    for panel in ("Problems", "Convoys", "Work", "Agents", "Merge queue", "Mail",
                  "Escalations", "Activity", "Rigs"):
        assert page.locator("section h2", has_text=panel).count() == 1
    assert "Sample convoy" in page.inner_text("#panel-convoys")
    assert "Blocked work" in page.inner_text("#panel-work")
    assert "proj/witness" in page.inner_text("#panel-agents")
    assert "Sent back work" in page.inner_text("#panel-merge")
    assert "Hello from the mayor" in page.inner_text("#panel-mail")
    assert "Gate keeps failing" in page.inner_text("#panel-escalations")
    assert "proj" in page.inner_text("#panel-rigs")
    page.close()


def test_a_hostile_title_is_text(browser: Any, served: Served) -> None:
    page = open_page(browser, served)
    assert HOSTILE in page.inner_text("#panel-work")
    assert page.evaluate("window.pwned") is None
    assert page.locator("#panel-work img").count() == 0
    assert page.dialogs == []
    page.close()


def test_a_sling_clicked_in_the_page_lands_in_the_ledger(browser: Any, served: Served) -> None:
    page = open_page(browser, served)
    bead = served.ids["hostile"]  # type: ignore[attr-defined]
    page.click(f"button[data-action='sling'][data-bead='{bead}']")
    page.wait_for_selector("#toast:text('sling: done')", timeout=30_000)
    shown = json.loads(bd(served.town, "show", bead, "--json").stdout)
    assert shown["status"] == "hooked" and shown["assignee"].startswith("proj/polecats/")
    page.wait_for_function(
        f"document.getElementById('panel-agents').innerText.includes('{bead}')",
        timeout=10_000)
    page.close()


def test_a_bd_commit_appears_on_the_open_page(browser: Any, served: Served) -> None:
    """Pushed by the server, without a reload; how fast is measured in bench_dashboard."""
    page = open_page(browser, served)
    title = f"from another process {time.time_ns()}"
    bd(served.town / "proj", "create", title)
    page.wait_for_function(
        "(title) => document.getElementById('panel-work').innerText.includes(title)",
        arg=title, timeout=10_000, polling="raf")
    page.close()


def test_the_token_is_needed_from_the_page_too(browser: Any, served: Served) -> None:
    page = browser.new_page()
    page.goto(served.url + "/")  # no token in the URL
    page.wait_for_selector("#live:text('live')", timeout=10_000)
    page.fill("form[data-form='bead'] input[name='title']", "no token, no bead")
    page.click("form[data-form='bead'] button")
    page.wait_for_selector("#toast:text('missing or wrong token')", timeout=10_000)
    assert "no token, no bead" not in bd(served.town / "proj", "list", "--json").stdout
    page.close()


def test_the_screenshot_script_photographs_every_panel(browser: Any, tmp_path: Path,
                                                      served: Served) -> None:
    spec = importlib.util.spec_from_file_location(
        "dashboard_screenshots", Path(__file__).parent.parent / "scripts" /
        "dashboard_screenshots.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    files = script.photograph(browser, served.url, served.token, tmp_path)
    assert {f.stem for f in files} >= {"page", "convoys", "work", "agents", "merge"}
    assert all(f.stat().st_size > 1000 for f in files)
