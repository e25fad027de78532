"""Screenshots of beads-ui (Beads' web UI, unchanged) running on our `bd`, in headless Chromium.

Seeds a small, realistic ledger in a scratch directory (two epics with children, work
that is blocked, in progress and closed, comments, and a title holding markup, which must
show as text), starts beads-ui's server on 127.0.0.1 with this checkout's `bd` first on
PATH, and photographs its views: issues, board, epics, and the detail of one issue (the
blocked one, with its dependencies and comments) and of the one with the hostile title.

beads-ui loads its data over a websocket after the page itself has loaded, which Chromium's
own `--screenshot` does not wait for (the shot shows "No issues"). So Chromium runs headless
with its DevTools port open, and scripts/cdp_shots.mjs (node, with the `ws` package of
beads-ui's own node_modules) loads each view and shoots once the view's expected texts are
rendered; a JavaScript dialog (markup that ran) fails the run.

    python scripts/beads_ui_screenshots.py [OUT_DIR]

PNGs go to OUT_DIR (default: a new temporary directory), never into the repository. Needs
node and beads-ui in .npm-tools/ (`./tasks test --co -q` installs it) and Chromium (Debian:
`apt-get install chromium`; `fonts-noto-color-emoji` draws the priority icons). Run it with
the interpreter that has this project installed (`.venv/bin/python`), so the `bd` beside it
is the one beads-ui runs.
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
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE_MODULES = ROOT / ".npm-tools" / "node_modules"
SERVER = NODE_MODULES / "beads-ui" / "server" / "index.js"
SHOOTER = Path(__file__).with_name("cdp_shots.mjs")
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
WIDTH, HEIGHT = 1400, 900
BOARD_WIDTH = 1600  # the board's four columns need more than WIDTH
LOADING = ["Loading…", "Loading..."]
HOSTILE_TITLE = "<script>alert(1)</script> in a product name breaks the search page"


class Failure(Exception):
    """Something the script needs is missing or failed: one line for the user."""


def bd(workspace: Path, *args: str, actor: str = "maria") -> str:
    """Run this checkout's `bd` in the workspace; its stdout, stripped."""
    done = subprocess.run([sys.executable, "-m", "beads", *args], cwd=workspace,
                          capture_output=True, text=True,
                          env={**os.environ, "BD_ACTOR": actor})
    if done.returncode != 0:
        raise Failure(f"bd {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def new(workspace: Path, title: str, *args: str, actor: str = "maria") -> str:
    return bd(workspace, "create", title, *args, "--silent", actor=actor)


def seed(workspace: Path) -> dict[str, str]:
    """A web shop's checkout rewrite, a few weeks in. Returns the ids worth a detail shot."""
    bd(workspace, "init", "--prefix", "shop", "--quiet")
    checkout = new(workspace, "Checkout v2: one-page checkout", "-t", "epic", "-p", "1",
                   "-d", "Replace the four-step checkout with one page. Target: +5% "
                   "conversion on mobile.")
    schema = new(workspace, "Design the cart and order schema", "--parent", checkout,
                 "-p", "1", "-l", "backend")
    cart_api = new(workspace, "Build the cart API", "--parent", checkout, "-p", "1",
                   "-l", "backend", "--deps", f"blocks:{schema}",
                   "-d", "REST endpoints for cart lines, totals and promo codes.")
    payments = new(workspace, "Integrate the payment provider", "--parent", checkout,
                   "-p", "0", "-l", "backend", "--deps", f"blocks:{cart_api}",
                   "-d", "Card and wallet payments through the provider's hosted fields.",
                   "--acceptance", "A test card payment completes end to end; a declined "
                   "card shows the provider's reason.")
    form = new(workspace, "Checkout form with address autocomplete", "--parent", checkout,
               "-p", "2", "-l", "frontend", "-t", "feature")
    new(workspace, "End-to-end tests for the checkout", "--parent", checkout, "-p", "2",
        "--deps", f"blocks:{payments},blocks:{form}")
    observability = new(workspace, "Observability for the shop", "-t", "epic", "-p", "2")
    tracing = new(workspace, "Trace requests across cart and payments", "--parent",
                  observability, "-p", "2", "-l", "backend")
    dashboards = new(workspace, "Dashboard for checkout latency p99", "--parent",
                     observability, "-p", "3")
    rounding = new(workspace, "Cart total rounds wrong for JPY", "-t", "bug", "-p", "0",
                   "-d", "Zero-decimal currencies get two decimals in the cart summary.")
    hostile = new(workspace, HOSTILE_TITLE, "-t", "bug", "-p", "1",
                  "-d", "Seen with a product named `<b>bold</b>` & co: the name must stay "
                  "text everywhere.")
    upgrade = new(workspace, "Upgrade Node to 22 on the build agents", "-t", "chore", "-p", "3")
    new(workspace, "Remember the last used payment method", "-t", "feature", "-p", "4")

    bd(workspace, "close", schema, "--reason", "schema merged in #412")
    bd(workspace, "close", dashboards, "--reason", "dashboard live")
    bd(workspace, "update", cart_api, "--claim", actor="nux")
    bd(workspace, "update", tracing, "--status", "in_progress", "--assignee", "slit")
    bd(workspace, "update", upgrade, "--assignee", "ops")
    bd(workspace, "comment", rounding, "Reproduced with a ¥1,200 cart: shows ¥1,200.00.",
       actor="kim")
    bd(workspace, "comment", rounding, "Fix: format with the currency's minor units.",
       actor="nux")
    bd(workspace, "comment", payments, "Waiting on the cart API's totals endpoint.",
       actor="maria")
    return {"blocked": payments, "hostile": hostile}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_ui(workspace: Path, home: Path) -> tuple[subprocess.Popen[str], str]:
    """beads-ui's server in the workspace, with the `bd` beside this interpreter on PATH."""
    if shutil.which("node") is None:
        raise Failure("node is not installed: beads-ui needs it")
    if not SERVER.is_file():
        raise Failure("beads-ui is not in .npm-tools/: run ./tasks test --co -q to install it")
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "bd").exists():
        raise Failure(f"no bd beside {sys.executable}: run this with the project's "
                      ".venv/bin/python")
    port = free_port()
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "HOME": str(home)}
    server = subprocess.Popen(["node", str(SERVER), "--host", "127.0.0.1", "--port", str(port)],
                              cwd=workspace, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    assert server.stdout is not None
    lines = []
    for text in server.stdout:
        lines.append(text.rstrip())
        if "listening" in text:
            break
    else:
        raise Failure(f"beads-ui did not start: {' | '.join(lines[-3:])}")
    threading.Thread(target=server.stdout.read, daemon=True).start()
    return server, f"http://127.0.0.1:{port}/"


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise Failure("no Chromium found: apt-get install chromium")


def start_browser(chromium: str, profile: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Headless Chromium with its DevTools port open; the websocket URL of its one page."""
    process = subprocess.Popen(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
         "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    port_file = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while not (port_file.is_file() and port_file.read_text().strip()):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise Failure("chromium did not open its DevTools port")
        time.sleep(0.1)
    port = port_file.read_text().split()[0]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
        targets = json.load(reply)
    pages = [t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"]
    if not pages:
        process.kill()
        raise Failure("chromium has no page to drive")
    return process, pages[0]


def shoot(page: str, jobs: list[dict[str, object]], scratch: Path) -> None:
    """Photograph every job's view through scripts/cdp_shots.mjs."""
    jobs_file = scratch / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    done = subprocess.run(["node", str(SHOOTER), page, str(jobs_file)], capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "BDUI_NODE_MODULES": str(NODE_MODULES)})
    if done.returncode != 0:
        raise Failure((done.stderr.strip().splitlines() or ["cdp_shots.mjs failed"])[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?", type=Path,
                        help="where the PNGs go (default: a new temporary directory)")
    args = parser.parse_args(argv)
    out = (args.out_dir or Path(tempfile.mkdtemp(prefix="beads-ui-shots-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="beads-ui-ledger-"))
    server = browser_process = None
    try:
        chromium = browser()
        workspace = scratch / "shop"
        workspace.mkdir()
        ids = seed(workspace)
        server, base = start_ui(workspace, scratch / "home")
        browser_process, page = start_browser(chromium, scratch / "profile")
        # Each view, with texts that show its data has arrived (the hostile title among them
        # as text: had it been parsed as markup, the page would not show it).
        views = {
            "issues": ("#/issues", ["Cart total rounds wrong for JPY", "Build the cart API"]),
            "board": ("#/board", ["Integrate the payment provider", "Build the cart API",
                                  "Dashboard for checkout latency p99"]),
            "epics": ("#/epics", ["Checkout v2: one-page checkout", "Observability for the shop",
                                  "Integrate the payment provider"]),
            "detail": (f"#/issues?issue={ids['blocked']}",
                       ["Card and wallet payments", "Waiting on the cart API",
                        "Build the cart API"]),
            "detail-hostile-title": (f"#/issues?issue={ids['hostile']}", [HOSTILE_TITLE]),
        }
        jobs: list[dict[str, object]] = [
            {"url": base + route, "png": str(out / f"beads-ui-{name}.png"), "expect": expect,
             "absent": LOADING, "width": BOARD_WIDTH if name == "board" else WIDTH,
             "height": HEIGHT}
            for name, (route, expect) in views.items()]
        shoot(page, jobs, scratch)
        for job in jobs:
            print(job["png"])
    except Failure as error:
        print(f"beads_ui_screenshots: {error}", file=sys.stderr)
        return 1
    finally:
        for process in (browser_process, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
