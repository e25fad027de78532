"""`gt dashboard` over HTTP, served by the real process: every endpoint, the refusals of a
state change without the token, from another origin or host, and live events."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.dashboard_helpers import HOSTILE, Served, seeded_dashboard
from tests.gt_helpers import bd, run, wait_for

# The module shares a served, seeded town: its tests stay on one worker in a parallel run.
pytestmark = pytest.mark.xdist_group("dashboard_http")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with seeded_dashboard(tmp_path_factory.mktemp("dash")) as server:
        yield server


def show(town: Path, bead: str) -> dict:
    return json.loads(bd(town, "show", bead, "--json").stdout)


def author(town: Path, ledger: Path) -> str:
    return run(["git", "log", "-1", "--format=%an", "beads"], ledger).stdout.strip()


def test_the_page_draws_every_panel_and_escapes_bead_text(served: Served) -> None:
    page = httpx.get(served.url + "/").text
    for panel in ("problems", "convoys", "work", "agents", "merge", "mail", "escalations",
                  "activity", "rigs"):
        assert f'id="panel-{panel}"' in page
    assert "<script>window.pwned" not in page and "onerror=\"window" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "Sample convoy" in page and "Gate keeps failing" in page
    assert "Hello from the mayor" in page and "Sent back work" in page


def test_reads_need_no_token_but_a_known_host(served: Served) -> None:
    town = httpx.get(served.url + "/api/town").json()
    assert {c["title"] for c in town["convoys"]} == {"Sample convoy"}
    assert town["activity"] and town["work"]["lists"]["ready"]
    peek = httpx.get(served.url + "/api/peek", params={"agent": "proj/witness"})
    assert peek.status_code == 200 and peek.json()["agent"] == "proj/witness"
    bad = httpx.get(served.url + "/api/peek", params={"agent": "../etc"})
    assert bad.status_code == 400 and "not an agent address" in bad.json()["error"]
    rebinding = httpx.get(served.url + "/", headers={"Host": "evil.example:80"})
    assert rebinding.status_code == 403


@pytest.mark.parametrize("action", ["sling", "nudge", "bead", "convoy", "ack", "retry",
                                    "reject"])
def test_every_action_is_refused_without_the_token_or_from_elsewhere(
        served: Served, action: str) -> None:
    before = run(["git", "rev-parse", "beads"], served.town / "proj" / ".repo.git").stdout
    body = {"title": "should not exist", "rig": "proj"}
    missing = served.post(action, body, token="")
    assert missing.status_code == 403 and missing.json()["error"] == "missing or wrong token"
    assert served.post(action, body, token="x" * 43).status_code == 403
    foreign = served.post(action, body, headers={"Origin": "http://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["error"] == "cross-origin request"
    form = httpx.post(f"{served.url}/api/{action}", data=body,
                      headers={"X-GT-Token": served.token})
    assert form.status_code == 403
    after = run(["git", "rev-parse", "beads"], served.town / "proj" / ".repo.git").stdout
    assert before == after, "a refused request wrote nothing"


def test_create_a_bead_and_a_convoy_as_the_person(served: Served) -> None:
    made = served.post("bead", {"title": HOSTILE, "rig": "proj", "priority": "1"})
    assert made.status_code == 200, made.text
    bead = made.json()["result"]["id"]
    assert show(served.town, bead)["title"] == HOSTILE
    assert show(served.town, bead)["priority"] == 1
    assert author(served.town, served.town / "proj" / ".repo.git") == "overseer"
    convoy = served.post("convoy", {"name": "from the page", "beads": bead})
    assert convoy.status_code == 200
    assert show(served.town, convoy.json()["result"]["id"])["issue_type"] == "convoy"
    bad = served.post("bead", {"title": "", "rig": "proj"})
    assert bad.status_code == 400 and "required" in bad.json()["error"]
    unknown = served.post("bead", {"title": "x", "rig": "nope"})
    assert unknown.status_code == 400 and "no rig named" in unknown.json()["error"]
    assert served.post("nothing", {}).status_code == 404
    garbage = httpx.post(f"{served.url}/api/bead", content=b"{not json",
                         headers={"Content-Type": "application/json",
                                  "X-GT-Token": served.token})
    assert garbage.status_code == 400


def test_sling_nudge_acknowledge(served: Served) -> None:
    ids = served.ids  # type: ignore[attr-defined]
    slung = served.post("sling", {"bead": ids["ready"], "target": "proj"})
    assert slung.status_code == 200, slung.text
    assert show(served.town, ids["ready"])["status"] == "hooked"
    nudged = served.post("nudge", {"agent": "proj/witness", "text": "look $(here) \x1b[2J"})
    assert nudged.status_code == 200 and nudged.json()["result"]["result"] == "queued"
    ack = served.post("ack", {"bead": ids["escalation"]})
    assert ack.status_code == 200
    assert "acknowledged" in show(served.town, ids["escalation"])["labels"]
    not_one = served.post("ack", {"bead": ids["blocked"]})
    assert not_one.status_code == 400 and "not an escalation" in not_one.json()["error"]


def test_retry_and_reject_a_merge_request(served: Served) -> None:
    ids = served.ids  # type: ignore[attr-defined]
    repo = served.town / "proj" / ".repo.git"
    retried = served.post("retry", {"rig": "proj", "bead": ids["sent_back"]})
    assert retried.status_code == 200, retried.text
    assert show(served.town, ids["sent_back"])["mr_state"] == "pending"
    assert run(["git", "rev-parse", "--verify", "-q", f"refs/mr/{ids['sent_back']}"], repo)
    rejected = served.post("reject", {"rig": "proj", "bead": ids["queued"],
                                      "reason": "not needed"})
    assert rejected.status_code == 200, rejected.text
    assert show(served.town, ids["queued"])["mr_state"] == "rejected"
    again = served.post("reject", {"rig": "proj", "bead": ids["queued"]})
    assert again.status_code == 400 and "no request in the queue" in again.json()["error"]


def test_a_commit_in_another_process_is_pushed_within_a_second(served: Served) -> None:
    received: list[tuple[float, str]] = []
    stop = threading.Event()

    def listen() -> None:
        try:
            with httpx.stream("GET", served.url + "/events", timeout=30) as stream:
                for line in stream.iter_lines():
                    received.append((time.monotonic(), line))
                    if stop.is_set():
                        return
        except httpx.RemoteProtocolError:
            return  # the server stopped mid-stream: the module's dashboard was torn down

    threading.Thread(target=listen, daemon=True).start()
    wait_for(lambda: any(": connected" in line for _, line in received),
             what="the event stream")
    title = f"pushed-{time.time_ns()}"
    started = time.monotonic()
    bd(served.town / "proj", "create", title)
    committed = time.monotonic()
    wait_for(lambda: any(title in line for _, line in received), timeout=30,
             what="the new bead in a pushed panel")
    stop.set()
    arrived = next(at for at, line in received if title in line)
    assert arrived - committed < 1.0, f"{arrived - committed:.2f} s after the commit"
    assert arrived > started
