"""Screenshots of the dashboard, the whole page and each panel, for the docs.

    python scripts/dashboard_screenshots.py OUT_DIR [--town TOWN]

Without --town it builds a small sample town in a scratch directory (a rig, ready, blocked
and hooked work, a convoy, an escalation, mail, a queued and a sent-back merge request),
serves `gt dashboard` on a free port and photographs it in headless Chromium (the system's,
driven by Playwright). PNGs are for looking at; they are not committed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PANELS = ("problems", "convoys", "work", "agents", "merge", "mail", "escalations",
          "activity", "rigs")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
GT = [sys.executable, "-m", "gt"]
BD = [sys.executable, "-m", "beads"]


def photograph(context: Any, url: str, token: str, out: Path) -> list[Path]:
    """Photograph the page at `url` and each of its panels into `out`, in a Playwright
    browser context."""
    out.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    page.set_viewport_size({"width": 1440, "height": 1000})
    page.goto(f"{url}/?token={token}")
    page.wait_for_selector("#live:text('live')", timeout=15_000)
    files = [out / "page.png"]
    page.screenshot(path=str(files[0]), full_page=True)
    for name in PANELS:
        files.append(out / f"{name}.png")
        page.locator(f"#panel-{name}").screenshot(path=str(files[-1]))
    page.close()
    return files


def shoot(url: str, token: str, out: Path, chromium: str) -> list[Path]:
    """`photograph` in a fresh headless Chromium (the system's)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver, tempfile.TemporaryDirectory() as profile:
        context = driver.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=FLAGS)
        try:
            return photograph(context, url, token, out)
        finally:
            context.close()


def _run(argv: list[str], cwd: Path, **env: str) -> str:
    return subprocess.run(argv, cwd=cwd, check=True, capture_output=True, text=True,
                          env={**os.environ, **env}).stdout


def sample_town(base: Path) -> Path:
    project = base / "project"
    project.mkdir()
    (project / "app.py").write_text("VALUE = 1\n")
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.name=sample", "-c", "user.email=s@example.com", "commit", "-q",
                  "-m", "initial"]):
        _run(["git", *argv], project)
    town = base / "town"
    _run([*GT, "install", str(town), "--no-tmux"], base)
    _run([*GT, "rig", "add", "proj", str(project), "--prefix", "pj"], town)
    rig = town / "proj"

    def bead(title: str, *args: str, where: Path = rig) -> str:
        return json.loads(_run([*BD, "create", title, *args, "--json"], where))["id"]

    parse = bead("Parse the config file", "-p", "1")
    cache = bead("Cache the parsed config", "--deps", f"blocks:{parse}")
    docs = bead("Document the config keys", "-p", "3")
    bead("<script>alert('hostile title')</script> shown as text")
    queued = bead("Add a --verbose flag")
    head = _run(["git", "rev-parse", "main"], rig / ".repo.git").strip()
    _run(["git", "update-ref", f"refs/mr/{queued}", head], rig / ".repo.git")
    _run([*GT, "convoy", "create", "Config overhaul", parse, cache, docs], town)
    bead("Gate fails on every request", "--labels", "escalation", where=town)
    _run([*GT, "mail", "send", "overseer", "-s", "Convoy half way", "-m", "2 of 4"], town,
         GT_AGENT="mayor")
    _run([*GT, "sling", parse, "proj", "--no-convoy"], town)
    return town


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--town", type=Path)
    args = parser.parse_args(argv)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("dashboard_screenshots: no chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as scratch:
        town = args.town or sample_town(Path(scratch))
        port = _free_port()
        server = subprocess.Popen([*GT, "dashboard", "--port", str(port)], cwd=town,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(150):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.2)
            token = (town / ".git" / "gt" / "dashboard.token").read_text().strip()
            for path in shoot(f"http://127.0.0.1:{port}", token, args.out, chromium):
                print(path)
        finally:
            server.terminate()
            server.wait(timeout=10)
            if args.town is None:
                subprocess.run([*GT, "down"], cwd=town, capture_output=True, check=False)


if __name__ == "__main__":
    main(sys.argv[1:])
