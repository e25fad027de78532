"""The scripted model server over real HTTP: the streams real agents accept, scenarios, logs."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.scripted_model import Reply, Rule, Scenario, ScriptedModel

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = Scenario([
    Rule(prompt="^hooked$", system="HOOK-MARKER", steps=(Reply("The hook was seen."),)),
    Rule(prompt="make", steps=(Reply("Making.", ("touch a", "touch b")), Reply("", ("ls",))),
         done="Made."),
], default="Nothing to do.")


@pytest.fixture
def model() -> Iterator[ScriptedModel]:
    with ScriptedModel(SCENARIO) as server:
        yield server


def post(model: ScriptedModel, path: str, body: Any) -> tuple[str, bytes]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(model.url + path, data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def events(payload: bytes) -> list[tuple[str, dict[str, Any]]]:
    """Server-sent events as (event, data) pairs."""
    parsed = []
    for chunk in payload.decode().split("\n\n"):
        if chunk.strip():
            fields = dict(line.split(": ", 1) for line in chunk.splitlines())
            parsed.append((fields["event"], json.loads(fields["data"])))
    return parsed


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "text", "text": text}]}


def test_a_tool_call_streams_its_input_in_pieces_and_ends_each_block(
        model: ScriptedModel) -> None:
    body = {"model": "m", "stream": True, "tools": [{"name": "Bash"}],
            "messages": [user("<system-reminder>context</system-reminder>"),
                         user("please make things")]}
    content_type, payload = post(model, "/v1/messages?beta=true", body)
    assert content_type == "text/event-stream"
    stream = events(payload)
    names = [name for name, _ in stream]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    assert names.count("content_block_start") == names.count("content_block_stop") == 3
    starts = [d["content_block"] for n, d in stream if n == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use", "tool_use"]
    assert all(b["input"] == {} for b in starts[1:])
    for index in (1, 2):
        pieces = [d["delta"]["partial_json"] for n, d in stream
                  if n == "content_block_delta" and d["index"] == index]
        assert len(pieces) > 1 and all(len(p) <= 16 for p in pieces)
        assert json.loads("".join(pieces))["command"] == ("touch a", "touch b")[index - 1]
    end = stream[-2][1]
    assert end["delta"]["stop_reason"] == "tool_use" and end["usage"]["output_tokens"] > 0
    assert stream[0][1]["message"]["usage"]["input_tokens"] > 0

    [logged] = model.requests
    assert (logged.kind, logged.prompt, logged.step) == ("turn", "please make things", 0)
    assert logged.commands == ("touch a", "touch b")


def test_each_round_of_tool_results_gets_the_next_step_then_the_closing_text(
        model: ScriptedModel) -> None:
    conversation = [user("make it")]
    replies = []
    for _ in range(3):
        _, payload = post(model, "/v1/messages", {"messages": conversation})
        message = json.loads(payload)
        replies.append(message["content"])
        results = [{"type": "tool_result", "tool_use_id": b["id"], "content": ""}
                   for b in message["content"] if b["type"] == "tool_use"]
        conversation += [{"role": "assistant", "content": message["content"]},
                         {"role": "user", "content": results}]
    assert [[b.get("text") or b["input"]["command"] for b in r] for r in replies] \
        == [["Making.", "touch a", "touch b"], ["ls"], ["Made."]]
    assert [r.step for r in model.turns()] == [0, 1, 2]
    assert model.prompts() == ["make it"]


def test_hook_text_in_a_system_entry_selects_a_rule(model: ScriptedModel) -> None:
    hook = {"role": "system", "content": "SessionStart:startup hook success: HOOK-MARKER"}
    _, with_hook = post(model, "/v1/messages", {"messages": [user("hooked"), hook]})
    _, without = post(model, "/v1/messages", {"messages": [user("hooked")]})
    assert json.loads(with_hook)["content"][0]["text"] == "The hook was seen."
    assert json.loads(without)["content"][0]["text"] == "Nothing to do."
    assert model.requests[0].system == (hook["content"],)


def test_a_request_for_json_without_tools_gets_json_of_the_schema_shape(
        model: ScriptedModel) -> None:
    schema = {"type": "object", "required": ["title", "tags", "done"],
              "properties": {"title": {"type": "string"}, "done": {"type": "boolean"},
                             "tags": {"type": "array", "minItems": 1,
                                      "items": {"enum": ["x", "y"]}}}}
    body = {"stream": True, "messages": [user("make a title")],
            "output_config": {"format": {"type": "json_schema", "schema": schema}}}
    _, payload = post(model, "/v1/messages", body)
    text = "".join(d["delta"]["text"] for n, d in events(payload) if n == "content_block_delta")
    assert json.loads(text) == {"title": "Scripted", "done": False, "tags": ["x"]}
    assert [r.kind for r in model.requests] == ["side"]
    assert model.prompts() == []


def test_count_tokens_and_unknown_or_broken_requests(model: ScriptedModel) -> None:
    _, payload = post(model, "/v1/messages/count_tokens", {"messages": [user("x" * 400)]})
    assert json.loads(payload)["input_tokens"] > 50
    with pytest.raises(urllib.error.HTTPError) as missing:
        post(model, "/v1/other", {})
    assert missing.value.code == 404
    with pytest.raises(urllib.error.HTTPError) as broken:
        post(model, "/v1/messages", b"{not json")
    assert broken.value.code == 400
    assert [r.kind for r in model.requests] == ["count_tokens", "unknown", "unknown"]


def test_responses_api_tool_calls_are_done_items_and_the_stream_completes(
        model: ScriptedModel) -> None:
    prompt = [{"type": "message", "role": "developer",
               "content": [{"type": "input_text", "text": "instructions"}]},
              {"type": "message", "role": "user",
               "content": [{"type": "input_text", "text": "<environment_context/>"}]},
              {"type": "message", "role": "user",
               "content": [{"type": "input_text", "text": "make it"}]}]
    _, payload = post(model, "/v1/responses",
                      {"stream": True, "tools": [{"name": "exec_command"}], "input": prompt})
    stream = events(payload)
    assert stream[0][0] == "response.created" and stream[-1][0] == "response.completed"
    calls = [d["item"] for n, d in stream
             if n == "response.output_item.done" and d["item"]["type"] == "function_call"]
    assert [(c["name"], json.loads(c["arguments"])) for c in calls] \
        == [("exec_command", {"cmd": "touch a"}), ("exec_command", {"cmd": "touch b"})]
    usage = stream[-1][1]["response"]["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0

    outputs = [{"type": "function_call_output", "call_id": c["call_id"], "output": ""}
               for c in calls]
    _, payload = post(model, "/v1/responses", {"tools": [{"name": "exec_command"}],
                                               "input": prompt + calls + outputs})
    [item] = json.loads(payload)["output"]
    assert json.loads(item["arguments"]) == {"cmd": "ls"}
    assert [(r.prompt, r.step, r.system) for r in model.turns()] \
        == [("make it", 0, ("instructions",)), ("make it", 1, ("instructions",))]


def test_as_a_process_it_prints_its_port_and_logs_to_jsonl(tmp_path: Path) -> None:
    scenario, log = tmp_path / "scenario.json", tmp_path / "log.jsonl"
    scenario.write_text(json.dumps({"rules": [{"prompt": "hi", "steps": ["hello"]}]}))
    server = subprocess.Popen([sys.executable, "-m", "tests.scripted_model", "--scenario",
                               str(scenario), "--log", str(log)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/messages",
                                         data=json.dumps({"messages": [user("hi")]}).encode())
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["content"][0]["text"] == "hello"
    finally:
        server.terminate()
        assert server.wait(timeout=10) == 0
    [logged] = [json.loads(line) for line in log.read_text().splitlines()]
    assert (logged["kind"], logged["prompt"], logged["text"]) == ("turn", "hi", "hello")


def test_as_a_process_a_broken_scenario_is_one_line_and_exit_2(tmp_path: Path) -> None:
    scenario = tmp_path / "scenario.json"
    scenario.write_text("{broken")
    result = subprocess.run([sys.executable, "-m", "tests.scripted_model", "--scenario",
                             str(scenario)], cwd=ROOT, capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "cannot read the scenario" in result.stderr
