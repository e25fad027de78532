"""The HTTP server: answers on 127.0.0.1 at an ephemeral port and logs every request.

`ScriptedModel(scenario).start()` serves from a thread of the calling process; `python -m
tests.scripted_model` serves the same from a process of its own. Each request becomes one
`Logged` record, kept in memory and, given a path, appended to a JSONL file, so that tests can
count prompts, read the hook texts the model saw and time arrivals.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.scripted_model import anthropic, responses
from tests.scripted_model.scenario import Scenario
from tests.scripted_model.wire import Answer, Ids

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Logged:
    """One request: when it arrived, where, what the model made of it and what it answered."""

    at: float
    method: str
    path: str
    kind: str  # "turn", "side", "count_tokens", "models" or "unknown"
    prompt: str = ""
    system: tuple[str, ...] = ()
    step: int = 0
    text: str = ""
    commands: tuple[str, ...] = ()
    body: Any = field(default=None, repr=False)


class ScriptedModel:
    """A model server that follows a `Scenario`; a context manager that starts and stops it."""

    def __init__(self, scenario: Scenario | None = None, log_path: Path | None = None) -> None:
        self.scenario = scenario or Scenario()
        self.log_path = log_path
        self.ids = Ids()
        self._log: list[Logged] = []
        self._lock = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the scripted model is not started")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> ScriptedModel:
        self._server = ThreadingHTTPServer((HOST, 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="scripted-model")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> ScriptedModel:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def requests(self) -> list[Logged]:
        with self._lock:
            return list(self._log)

    def turns(self) -> list[Logged]:
        """Requests for a model turn (side requests and token counts left out)."""
        return [r for r in self.requests if r.kind == "turn"]

    def prompts(self) -> list[str]:
        """Each typed prompt that started a turn, in order of arrival."""
        return [r.prompt for r in self.turns() if r.step == 0]

    def wait_for(self, test: Callable[[Logged], bool], timeout: float) -> Logged | None:
        """The first logged request that passes `test`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = next((r for r in self._log if test(r)), None)
                left = deadline - time.monotonic()
                if found is not None or left <= 0:
                    return found
                self._lock.wait(left)

    def record(self, logged: Logged) -> None:
        with self._lock:
            self._log.append(logged)
            if self.log_path is not None:
                with self.log_path.open("a") as out:
                    out.write(json.dumps(asdict(logged)) + "\n")
            self._lock.notify_all()


def _handler(model: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is the record."""

        def do_GET(self) -> None:
            at = time.time()
            if urlsplit(self.path).path.rstrip("/") == "/v1/models":
                model.record(Logged(at, "GET", self.path, "models"))
                self._send(200, json.dumps({"object": "list", "data": []}).encode())
            else:
                model.record(Logged(at, "GET", self.path, "unknown"))
                self._send(404, b'{"error": "not found"}')

        def do_POST(self) -> None:
            at = time.time()
            path = urlsplit(self.path).path.rstrip("/")
            size = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(size) or b"{}")
            except ValueError:
                model.record(Logged(at, "POST", self.path, "unknown"))
                self._send(400, b'{"error": "the body is not JSON"}')
                return
            if path == "/v1/messages/count_tokens":
                model.record(Logged(at, "POST", self.path, "count_tokens", body=body))
                self._send(200, anthropic.count_tokens(body))
                return
            if path == "/v1/messages":
                answer = anthropic.answer(body, model.scenario, model.ids)
            elif path == "/v1/responses":
                answer = responses.answer(body, model.scenario, model.ids)
            else:
                model.record(Logged(at, "POST", self.path, "unknown", body=body))
                self._send(404, b'{"error": "not found"}')
                return
            model.record(_logged(at, self.path, answer, body))
            self._send(200, answer.payload, answer.content_type)

        def _send(self, status: int, payload: bytes,
                  content_type: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            if content_type == "text/event-stream":
                self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _logged(at: float, path: str, answer: Answer, body: Any) -> Logged:
    turn, reply = answer.turn, answer.reply
    return Logged(at, "POST", path, answer.kind, turn.prompt, turn.system, turn.step,
                  reply.text, reply.commands, body)
