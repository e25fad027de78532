"""The town's settings (`town.toml`), read once into checked dataclasses: every key, its type
and its default are declared here and nowhere else.

    [town]                       name, default_agent, sessions, max_polecats, stranded_after,
                                 stranded_ready_after
    [agents]                     <role> = "<runtime>"
    [runtimes.<name>]            command, prompt, resume, ask, description, is_sandbox,
                                 offline, base_url, model, auth_token_env, api_key_env,
                                 config_dir
    [rigs.<name>]                prefix, url, branch, push, strategy, merge, batch_size,
                                 max_polecats
    [rigs.<name>.gates]          <gate> = "<command>"
    [rigs.<name>.gate_timeouts]  <gate> = <seconds>
    [supervision]                thresholds of the Witness and Deacon, escalation routes

An unknown key or a value of the wrong kind is an error naming the file and the key, with
the fix: a typo is never silently ignored. Writes (`gt config`, `gt rig config`) parse the
text they are given by the same rules, and the whole file is checked again before it is
written. The file keeps only what differs from the defaults.
"""

from __future__ import annotations

import dataclasses
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gt import tomlfile
from gt.errors import GtError

ROLES = ("mayor", "deacon", "witness", "refinery", "polecat", "crew")
SESSIONS = ("tmux", "process")
STRATEGIES = ("mr", "direct", "local")
MERGES = ("merge", "rebase")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
URL_RE = re.compile(r"https?://[^\s]+")


class SettingsError(GtError):
    code = "bad_settings"


@dataclass
class RuntimeSettings:
    """`[runtimes.<name>]`: a custom runtime (it has a command), or options of a preset."""

    command: str | list[str] | None = None  # a command line, or its argv
    prompt: str = "arg"  # how the first prompt is passed: arg, none or flag:<flag>
    resume: list[str] = field(default_factory=list)
    # How to ask a past session a question (`gt seance --ask`): argv with {session}, {question}
    ask: list[str] = field(default_factory=list)
    description: str = "custom command"
    is_sandbox: bool = False  # Claude Code as root: this machine is a disposable sandbox
    offline: bool = False  # no telemetry, update checks or other non-essential traffic
    base_url: str = ""  # another model endpoint (a gateway, a proxy, a local server)
    model: str = ""  # the model to ask for ("": the runtime's own choice)
    auth_token_env: str = ""  # the environment variable holding a bearer token to send
    api_key_env: str = ""  # the environment variable holding an API key to send
    config_dir: str = ""  # Claude Code's config: "" yours, "town", "agent" or a path

    @property
    def argv(self) -> tuple[str, ...]:
        command = self.command or ()
        return tuple(shlex.split(command) if isinstance(command, str) else command)


@dataclass
class RigSettings:
    """`[rigs.<name>]`: where the rig comes from and how its Refinery merges."""

    prefix: str
    url: str
    branch: str = "main"
    push: bool = False  # push merged work back to the origin
    strategy: str = "mr"  # how finished work reaches the branch: mr, direct or local
    merge: str = "merge"  # how a request is put on the branch: merge or rebase
    batch_size: int = 1  # requests gated together
    max_polecats: int = 0  # polecats with work at once in this rig; 0: no limit
    gates: dict[str, str] = field(default_factory=dict)  # name -> shell command
    gate_timeouts: dict[str, float] = field(default_factory=dict)  # name -> seconds


@dataclass
class SupervisionSettings:
    """`[supervision]`: when an agent counts as stalled or crash-looping, how restarts back off
    and where escalations go. Times are seconds."""

    spawn_grace: float = 20.0  # a slung agent's session starting: not judged meanwhile
    stall_after: float = 300.0  # no output, heartbeat or ledger activity: stalled
    restart_backoff: float = 30.0  # wait before the second restart; doubles each time
    restart_backoff_max: float = 600.0
    crash_loop_restarts: int = 5  # this many restarts within crash_loop_window: parked
    crash_loop_window: float = 900.0
    idle_reap: float = 900.0  # an idle polecat's session is stopped after this long
    gupp_after: float = 1800.0  # hooked work without progress this long: escalated
    every: float = 15.0  # the Witness's timer pass (events cover deaths at once)
    escalate_again: float = 3600.0  # an unacknowledged escalation is raised again
    escalate_nudge: bool = True  # nudge the Mayor as well as mailing it
    escalate_command: list[str] = field(default_factory=list)  # argv run for critical ones
    stale_lock: float = 120.0  # a git lock file this old, open in no process: removed


@dataclass
class TownSettings:
    """All of `town.toml`: `[town]`'s keys, then its tables."""

    name: str
    default_agent: str = "scripted"  # the runtime of agents whose role chose none
    sessions: str = "tmux"  # tmux, or process: plain processes
    max_polecats: int = 0  # polecats with work at once in the whole town; 0: no limit
    stranded_after: float = 1800.0  # seconds without progress: the convoy is escalated
    stranded_ready_after: float = 120.0  # seconds ready work waits with no agent: it is slung
    agents: dict[str, str] = field(default_factory=dict)  # role -> runtime
    runtimes: dict[str, RuntimeSettings] = field(default_factory=dict)
    rigs: dict[str, RigSettings] = field(default_factory=dict)
    supervision: SupervisionSettings = field(default_factory=SupervisionSettings)


# ---------------------------------------------------------------------- kinds of value


@dataclass(frozen=True)
class Kind:
    """What a key holds: a check of a value read from TOML, and a parse of command-line
    text, both raising ValueError; `expects` says what is wanted."""

    expects: str
    check: Callable[[Any], Any]
    parse: Callable[[str], Any]


def _is_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError
    return value


def _choice(*options: str) -> Kind:
    def check(value: Any) -> str:
        if value not in options:
            raise ValueError
        return str(value)

    return Kind(f"one of {', '.join(options)}", check, check)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _parse_flag(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError
    return text.lower() == "true"


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError
    return value


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError
    return value


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ValueError
    return float(value)


def _words(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError
    return list(value)


def _command(value: Any) -> str | list[str]:
    command = value if isinstance(value, str) else _words(value)
    if not (shlex.split(command) if isinstance(command, str) else command):
        raise ValueError
    return command


def _env_name(value: Any) -> str:
    if not isinstance(value, str) or not (value == "" or ENV_NAME.fullmatch(value)):
        raise ValueError
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str) or not (value == "" or URL_RE.fullmatch(value)):
        raise ValueError
    return value


def _config_dir(value: Any) -> str:
    if not isinstance(value, str) or not (value in ("", "town", "agent")
                                          or Path(value).is_absolute()):
        raise ValueError
    return value


def _prompt(value: Any) -> str:
    if value not in ("arg", "none") and not (isinstance(value, str) and value.startswith("flag:")
                                             and len(value) > 5):
        raise ValueError
    return str(value)


TEXT = Kind("a string", _is_text, _is_text)
FLAG = Kind("true or false", _flag, _parse_flag)
COUNT = Kind("a whole number of at least 1", _count, lambda text: _count(int(text)))
LIMIT = Kind("a whole number (0 for no limit)", _limit, lambda text: _limit(int(text)))
SECONDS = Kind("a number of seconds above 0", _seconds, lambda text: _seconds(float(text)))
WORDS = Kind("a list of strings", _words, shlex.split)
COMMAND = Kind("a command line or a list of its words", _command, _command)
PROMPT = Kind("arg, none or flag:<flag>", _prompt, _prompt)
ENV_VAR = Kind("the name of an environment variable (or empty)", _env_name, _env_name)
URL = Kind("an http:// or https:// URL (or empty)", _url, _url)
CONFIG_DIR = Kind('"", town, agent or an absolute path', _config_dir, _config_dir)

TOWN_KEYS = {"name": TEXT, "default_agent": TEXT, "sessions": _choice(*SESSIONS),
             "max_polecats": LIMIT, "stranded_after": SECONDS,
             "stranded_ready_after": SECONDS}
RUNTIME_KEYS = {"command": COMMAND, "prompt": PROMPT, "resume": WORDS, "ask": WORDS,
                "description": TEXT, "is_sandbox": FLAG, "offline": FLAG, "base_url": URL,
                "model": TEXT, "auth_token_env": ENV_VAR, "api_key_env": ENV_VAR,
                "config_dir": CONFIG_DIR}
RIG_KEYS = {"prefix": TEXT, "url": TEXT, "branch": TEXT, "push": FLAG,
            "strategy": _choice(*STRATEGIES), "merge": _choice(*MERGES), "batch_size": COUNT,
            "max_polecats": LIMIT}
RIG_TABLES = {"gates": TEXT, "gate_timeouts": SECONDS}
SUPERVISION_KEYS = {"spawn_grace": SECONDS, "stall_after": SECONDS, "restart_backoff": SECONDS,
                    "restart_backoff_max": SECONDS, "crash_loop_restarts": COUNT,
                    "crash_loop_window": SECONDS, "idle_reap": SECONDS, "gupp_after": SECONDS,
                    "every": SECONDS, "escalate_again": SECONDS, "escalate_nudge": FLAG,
                    "escalate_command": WORDS, "stale_lock": SECONDS}
TABLES = ("town", "agents", "runtimes", "rigs", "supervision")


# ---------------------------------------------------------------------- reading


class _Reader:
    """Checks one file's values, naming the file and the dotted key in every error."""

    def __init__(self, path: Path, fix: str = "fix it in the file") -> None:
        self.path = path
        self.fix = fix

    def fail(self, key: str, problem: str) -> SettingsError:
        return SettingsError(f"{self.path}: {key}: {problem}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key, f"should be a table ([{key}]); {self.fix}")
        return value

    def keys(self, values: dict[str, Any], known: tuple[str, ...] | dict[str, Any],
             where: str) -> None:
        for name in values:
            if name not in known:
                raise self.fail(f"{where}{name}",
                                f"unknown key (known: {', '.join(known)}); {self.fix}")

    def value(self, value: Any, kind: Kind, key: str) -> Any:
        try:
            return kind.check(value)
        except (ValueError, TypeError):
            raise self.fail(key, f"{value!r} is not {kind.expects}; {self.fix}") from None

    def values(self, values: dict[str, Any], kinds: dict[str, Kind],
               where: str) -> dict[str, Any]:
        self.keys(values, kinds, where)
        return {name: self.value(v, kinds[name], f"{where}{name}") for name, v in values.items()}


def parse(data: dict[str, Any], path: Path, fix: str = "fix it in the file") -> TownSettings:
    """The settings that the TOML document `data` (read from `path`) holds, checked; an
    error ends with `fix`."""
    read = _Reader(path, fix)
    read.keys(data, TABLES, "")
    town = read.values(read.table(data.get("town", {}), "town"), TOWN_KEYS, "town.")
    agents = read.table(data.get("agents", {}), "agents")
    read.keys(agents, ROLES, "agents.")
    runtimes = {}
    for name, spec in read.table(data.get("runtimes", {}), "runtimes").items():
        runtimes[name] = RuntimeSettings(**read.values(
            read.table(spec, f"runtimes.{name}"), RUNTIME_KEYS, f"runtimes.{name}."))
    rigs = {}
    for name, spec in read.table(data.get("rigs", {}), "rigs").items():
        where = f"rigs.{name}."
        spec = read.table(spec, f"rigs.{name}")
        read.keys(spec, {**RIG_KEYS, **RIG_TABLES}, where)
        fields = read.values({k: v for k, v in spec.items() if k in RIG_KEYS}, RIG_KEYS, where)
        for table, kind in RIG_TABLES.items():
            entries = read.table(spec.get(table, {}), f"{where}{table}")
            fields[table] = {gate: read.value(v, kind, f"{where}{table}.{gate}")
                             for gate, v in entries.items()}
        for required in ("prefix", "url"):
            if required not in fields:
                raise read.fail(f"{where}{required}", f"missing (every rig has prefix and "
                                f"url); {fix}")
        rigs[name] = RigSettings(**fields)
    if "name" not in town:
        town["name"] = path.parent.name
    supervision = SupervisionSettings(**read.values(
        read.table(data.get("supervision", {}), "supervision"), SUPERVISION_KEYS,
        "supervision."))
    return TownSettings(**town, agents={role: read.value(v, TEXT, f"agents.{role}")
                                        for role, v in agents.items()},
                        runtimes=runtimes, rigs=rigs, supervision=supervision)


def load(path: Path) -> TownSettings:
    """Read and check `town.toml` at `path`."""
    try:
        data = tomlfile.load(path)
    except ValueError as error:  # tomllib.TOMLDecodeError
        raise SettingsError(f"{path}: not valid TOML ({error}); fix the file") from None
    return parse(data, path)


# ---------------------------------------------------------------------- writing


def _changed(value: Any) -> dict[str, Any]:
    """A dataclass as a TOML table: only what differs from the defaults."""
    out: dict[str, Any] = {}
    for spec in dataclasses.fields(value):
        current = getattr(value, spec.name)
        if spec.default is not dataclasses.MISSING and current == spec.default:
            continue
        if spec.default_factory is not dataclasses.MISSING and current == spec.default_factory():
            continue
        out[spec.name] = current
    return out


def to_toml(settings: TownSettings) -> dict[str, Any]:
    """The TOML document of `settings`: each table only with what differs from the defaults."""
    town = _changed(settings)
    data: dict[str, Any] = {"town": {k: town[k] for k in TOWN_KEYS if k in town}}
    if settings.agents:
        data["agents"] = dict(settings.agents)
    if settings.runtimes:
        data["runtimes"] = {name: _changed(r) for name, r in settings.runtimes.items()}
    if settings.rigs:
        data["rigs"] = {name: _changed(r) for name, r in settings.rigs.items()}
    if _changed(settings.supervision):
        data["supervision"] = _changed(settings.supervision)
    return data


def save(settings: TownSettings, path: Path) -> None:
    """Check `settings` as a file would be checked, then write them to `path`."""
    data = to_toml(settings)
    parse(data, path, "nothing was written")
    tomlfile.save(path, data)


def set_key(settings: TownSettings, key: str, text: str, path: Path) -> Any:
    """`gt config set KEY VALUE`: a dotted key under town, agents, runtimes or supervision,
    its value parsed from `text` by the key's kind; returns the value set."""
    parts = key.split(".")
    if not all(parts) or parts[0] not in ("town", "agents", "runtimes", "supervision") or \
            len(parts) != (3 if parts[0] == "runtimes" else 2):
        raise SettingsError(f"invalid key {key!r}: town.<key>, agents.<role>, "
                            "runtimes.<name>.<key> or supervision.<key>")
    read = _Reader(path, "nothing was written")
    if parts[0] == "supervision":
        read.keys({parts[1]: None}, SUPERVISION_KEYS, "supervision.")
        value = _parse(read, SUPERVISION_KEYS[parts[1]], text, key)
        setattr(settings.supervision, parts[1], value)
    elif parts[0] == "town":
        read.keys({parts[1]: None}, TOWN_KEYS, "town.")
        value = _parse(read, TOWN_KEYS[parts[1]], text, key)
        setattr(settings, parts[1], value)
    elif parts[0] == "agents":
        read.keys({parts[1]: None}, ROLES, "agents.")
        value = settings.agents[parts[1]] = text
    else:
        read.keys({parts[2]: None}, RUNTIME_KEYS, f"runtimes.{parts[1]}.")
        value = _parse(read, RUNTIME_KEYS[parts[2]], text, key)
        runtime = settings.runtimes.setdefault(parts[1], RuntimeSettings())
        setattr(runtime, parts[2], value)
    return value


def set_rig_key(rig: RigSettings, name: str, key: str, text: str, path: Path) -> None:
    """`gt rig config NAME KEY VALUE`: `gates.<gate>` or `gate_timeouts.<gate>` (an empty
    VALUE removes it), or one of the rig's keys other than prefix and url."""
    read = _Reader(path, "nothing was written")
    table, _, gate = key.partition(".")
    if table in RIG_TABLES and gate:
        entries = getattr(rig, table)
        if text == "":
            entries.pop(gate, None)
        else:
            entries[gate] = _parse(read, RIG_TABLES[table], text, f"rigs.{name}.{key}")
        return
    settable = {k: kind for k, kind in RIG_KEYS.items() if k not in ("prefix", "url")}
    if key not in settable:
        raise SettingsError(f"unknown rig setting {key}={text!r} (gates.<name>, "
                            f"gate_timeouts.<name>, {', '.join(settable)})")
    setattr(rig, key, _parse(read, settable[key], text, f"rigs.{name}.{key}"))


def _parse(read: _Reader, kind: Kind, text: str, key: str) -> Any:
    try:
        return kind.parse(text)
    except (ValueError, TypeError, KeyError):
        raise read.fail(key, f"{text!r} is not {kind.expects}; {read.fix}") from None
