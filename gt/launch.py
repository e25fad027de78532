"""Starting, waking and stopping the town's sessions: agents, each rig's Refinery and the
reactor (tmux, or processes when tmux is absent). The CLI, the reactor and the demo all start
sessions through here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from gt.agents import Address, agent_bead
from gt.control import state
from gt.errors import GtError
from gt.reactor.lock import running_pid
from gt.rig import Rig, rigs
from gt.runtimes import presets
from gt.sessions import SessionSpec
from gt.town import DEACON_SESSION, REACTOR_SESSION, Town
from gt.whoami import agent_ledger, workdir
from gt.work.nudge import nudge

UP_MARKER = "up"  # under the state dir: the town is up (`gt up`) until `gt down`


def agent_env(town: Town, address: Address) -> dict[str, str]:
    name = str(address)
    email = name.replace("/", ".") + "@gastown.local"
    bin_dir = str(Path(sys.executable).parent)
    return {"GT_TOWN": str(town.root), "GT_ROLE": address.role, "GT_RIG": address.rig or "",
            "GT_AGENT": name, "BD_ACTOR": name, "GIT_AUTHOR_NAME": name,
            "GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_NAME": name,
            "GIT_COMMITTER_EMAIL": email,
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}


def beacon(address: Address) -> str:
    return (f"[gas town] You are {address}. Run `gt prime` for your role, your hook and "
            "your next step. If there is work on your hook, you run it.")


def hook_runtime(town: Town, address: Address) -> str | None:
    """The runtime chosen with the work on the agent's hook (`gt sling --agent`), if any."""
    agent = agent_bead(agent_ledger(town, address), address)
    if agent is None or not agent.get("hook_bead"):
        return None
    return agent.get("hook_runtime") or None


def start(town: Town, address: Address, runtime_name: str | None = None,
          no_tmux: bool | None = None) -> str:
    """Start the agent's session (an error if it is already live, or frozen by an emergency
    stop): with `runtime_name`, else the runtime slung with its hooked work, else the role's
    or the town's default."""
    if (frozen := state.frozen(town, address.rig)) is not None:
        raise GtError(f"cannot start {address}: {frozen}; `gt thaw` first")
    runtime = presets.choose(town.settings, address.role,
                             runtime_name or hook_runtime(town, address))
    settings = town.state_dir / "runtime" / f"{address.session}.json"
    cwd = workdir(town, address)
    argv, env = presets.build(runtime, town.settings, beacon(address), settings, cwd,
                              town.state_dir, address.session)
    log = town.state_dir / "logs" / f"{address.session}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    spec = SessionSpec(name=address.session, command=argv, cwd=cwd,
                       env={**agent_env(town, address), **env}, log=log,
                       screen=runtime.screen)
    town.backend(no_tmux).start(spec)
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.with_suffix(".runtime").write_text(runtime.name)
    return runtime.name


def wake(town: Town, address: Address, runtime_name: str | None = None,
         no_tmux: bool | None = None) -> str:
    """GUPP: start the agent if it is not running, else nudge it to look at its hook."""
    sessions = town.backend(no_tmux)
    text = "You have work on your hook: run `gt prime`."
    if sessions.send(address.session, text):
        return "delivered"
    if sessions.is_live(address.session):
        # A TUI busy finishing its last turn: typed at its next idle moment (queued for its
        # next prompt's hook alone, it would wait for a prompt an idle agent never submits).
        return nudge_when_idle(town, address, text, "gt")
    start(town, address, runtime_name, no_tmux)
    return "started"


def stop(town: Town, address: Address) -> None:
    town.backend().stop(address.session)


def restart(town: Town, address: Address, runtime_name: str | None = None) -> str:
    """Stop the agent's session and start a fresh one (with `runtime_name`, else the runtime
    the session last started with: a handoff keeps its runtime); returns the runtime used.
    Refused, before anything is stopped, while an emergency stop holds the agent."""
    if (frozen := state.frozen(town, address.rig)) is not None:
        raise GtError(f"cannot restart {address}: {frozen}; `gt thaw` first")
    last = town.state_dir / "runtime" / f"{address.session}.runtime"
    if runtime_name is None and last.is_file():
        runtime_name = last.read_text().strip() or None
    stop(town, address)
    return start(town, address, runtime_name)


def start_standing(town: Town) -> list[str]:
    """`gt up`: start the reactor, each rig's Refinery, and the Mayor when the town chose a
    runtime for it; returns what was started (what ran already is left alone)."""
    (town.state_dir / UP_MARKER).touch()
    started = ["reactor"] if start_reactor(town) else []
    started += ["deacon"] if start_deacon(town) else []
    started += [f"{r.name}/refinery" for r in rigs(town) if start_refinery(town, r)]
    if town.settings.agents.get("mayor"):
        mayor = Address("mayor")
        if not town.backend().is_live(mayor.session):
            start(town, mayor)
            started.append("mayor")
    return started


def stop_all(town: Town) -> list[str]:
    """`gt down`: stop every session of the town; returns their names."""
    (town.state_dir / UP_MARKER).unlink(missing_ok=True)
    sessions = town.backend()
    names = sessions.names()
    for name in names:
        sessions.stop(name)
    return names


def start_refinery(town: Town, rig: Rig) -> bool:
    """Start the rig's Refinery session; False if it was already running."""
    address = Address("refinery", rig.name)
    sessions = town.backend()
    if sessions.is_live(address.session):
        return False
    log = town.state_dir / "logs" / f"{address.session}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    sessions.start(SessionSpec(name=address.session,
                               command=[*presets.tool_command(), "refinery", "run", rig.name],
                               cwd=rig.refinery_dir, env=agent_env(town, address), log=log))
    return True


def start_reactor(town: Town) -> bool:
    """Start the reactor as a session of the town; False if one is already running."""
    if running_pid(town) is not None:
        return False
    log = town.state_dir / "logs" / "reactor.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    town.backend().start(SessionSpec(name=REACTOR_SESSION,
                                     command=[*presets.tool_command(), "reactor", "run"],
                                     cwd=town.root, env=agent_env(town, Address("deacon")),
                                     log=log))
    return True


def start_deacon(town: Town) -> bool:
    """Start the Deacon's loop (`gt deacon run`) as a session; False if it is running."""
    sessions = town.backend()
    if sessions.is_live(DEACON_SESSION):
        return False
    log = town.state_dir / "logs" / "deacon.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    sessions.start(SessionSpec(name=DEACON_SESSION,
                               command=[*presets.tool_command(), "deacon", "run"],
                               cwd=town.root, env=agent_env(town, Address("deacon")), log=log))
    return True


def stop_reactor(town: Town) -> None:
    """Stop the reactor's session, and a reactor run by hand (`gt reactor run`)."""
    town.backend().stop(REACTOR_SESSION)
    pid = running_pid(town)
    if pid and pid > 0:
        os.kill(pid, signal.SIGTERM)


def _gt_later(town: Town, args: list[str], delay: float) -> None:
    """Run `gt args...` after `delay` seconds, detached: this command may be running inside
    the very session that the later command stops or restarts."""
    code = ("import subprocess, sys, time; time.sleep(float(sys.argv[1])); "
            "subprocess.run(sys.argv[2:], check=False)")
    argv = [sys.executable, "-c", code, str(delay), *presets.tool_command(), *args]
    subprocess.Popen(argv, cwd=town.root, start_new_session=True, stdin=subprocess.DEVNULL,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                     env={**os.environ, "GT_TOWN": str(town.root)})


def stop_soon(town: Town, address: Address, delay: float = 1.0) -> None:
    """Stop the session shortly, unless new work was hooked (and a new session started)."""
    _gt_later(town, ["session", "stop", "--if-idle", str(address)], delay)


def restart_soon(town: Town, address: Address, delay: float = 1.0) -> None:
    _gt_later(town, ["session", "restart", str(address)], delay)


def nudge_when_idle(town: Town, address: Address, text: str, sender: str) -> str:
    """`gt.work.nudge.nudge`, and when it had to queue the text for a TUI's next idle moment,
    a detached delivery that waits for that moment: the end-of-turn hook may already have
    run while the screen still showed the agent busy, and would not run again."""
    result = nudge(town, address, text, sender)
    if result == "queued" and town.backend().screen_state(address.session) is not None:
        deliver_soon(town, address)
    return result


def deliver_soon(town: Town, address: Address) -> None:
    """Type the agent's next queued nudge once its screen shows it idle (detached: the
    caller is a hook that runs before the turn is over)."""
    _gt_later(town, ["agent-hook", "deliver", str(address)], 0.0)
