"""The Anthropic Messages API (`POST /v1/messages`), as Claude Code calls it.

Claude Code always streams, and is strict about it: a tool call must stream its input as
`input_json_delta` pieces (an input given whole in `content_block_start` arrives as `{}`) and
end with `content_block_stop`. Hook output (SessionStart, UserPromptSubmit) reaches the model
as `role: "system"` entries inside `messages`. Once per session the TUI also asks, with no
tools, for JSON matching a schema (`output_config.format`): that side request gets JSON of the
schema's shape, or it is asked again.
"""

from __future__ import annotations

import json
from typing import Any

from tests.scripted_model.scenario import Reply, Scenario, Turn, sample_json
from tests.scripted_model.wire import Answer, Ids, side_request_schema, sse, token_estimate

SHELL_TOOL = "Bash"
JSON_PIECE = 16  # characters of tool input per input_json_delta


def answer(body: dict[str, Any], scenario: Scenario, ids: Ids) -> Answer:
    """The reply to a Messages API request body, streamed when it asks for a stream."""
    schema = side_request_schema(body, "output_config")
    turn = read_turn(body)
    if schema is not None:
        kind, reply = "side", Reply(json.dumps(sample_json(schema)))
    else:
        kind, reply = "turn", scenario.reply(turn)
    blocks = _blocks(reply, ids)
    usage = {"input_tokens": token_estimate(body.get("messages", [])),
             "output_tokens": token_estimate(blocks)}
    stop = "tool_use" if reply.commands else "end_turn"
    message = {"id": ids.next("msg_scripted"), "type": "message", "role": "assistant",
               "model": body.get("model", "scripted"), "stop_reason": stop,
               "stop_sequence": None}
    if body.get("stream"):
        payload = _stream(message, blocks, usage)
        return Answer(kind, turn, reply, payload, "text/event-stream")
    whole = {**message, "content": blocks, "usage": usage}
    return Answer(kind, turn, reply, json.dumps(whole).encode(), "application/json")


def count_tokens(body: dict[str, Any]) -> bytes:
    return json.dumps({"input_tokens": token_estimate(body.get("messages", []))}).encode()


def read_turn(body: dict[str, Any]) -> Turn:
    """The latest typed prompt, the hook texts, and the replies given since that prompt."""
    messages = [m for m in body.get("messages", []) if isinstance(m, dict)]
    system = tuple(_text(m.get("content")) for m in messages if m.get("role") == "system")
    prompt_at = None
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "user" and _typed_text(messages[index]):
            prompt_at = index
            break
    if prompt_at is None:
        return Turn("", system, 0)
    after = messages[prompt_at + 1:]
    step = sum(1 for i, m in enumerate(after) if m.get("role") == "assistant"
               and (i == 0 or after[i - 1].get("role") != "assistant"))
    return Turn(_typed_text(messages[prompt_at]), system, step)


def _typed_text(message: dict[str, Any]) -> str:
    """A user message's own text: tool results and `<system-reminder>` blocks left out."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    texts = [block.get("text", "") for block in content or []
             if isinstance(block, dict) and block.get("type") == "text"]
    return "\n".join(t for t in texts if not t.lstrip().startswith("<system-reminder>"))


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content or []
                     if isinstance(block, dict))


def _blocks(reply: Reply, ids: Ids) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.text or not reply.commands:
        blocks.append({"type": "text", "text": reply.text})
    for command in reply.commands:
        blocks.append({"type": "tool_use", "id": ids.next("toolu_scripted"), "name": SHELL_TOOL,
                       "input": {"command": command, "description": "Scripted command"}})
    return blocks


def _stream(message: dict[str, Any], blocks: list[dict[str, Any]],
            usage: dict[str, int]) -> bytes:
    start = {**message, "content": [], "stop_reason": None,
             "usage": {"input_tokens": usage["input_tokens"], "output_tokens": 1}}
    events = [sse("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(blocks):
        if block["type"] == "text":
            opened = {"type": "text", "text": ""}
            deltas = [{"type": "text_delta", "text": block["text"]}]
        else:
            opened = {**block, "input": {}}
            whole = json.dumps(block["input"])
            deltas = [{"type": "input_json_delta", "partial_json": whole[i:i + JSON_PIECE]}
                      for i in range(0, len(whole), JSON_PIECE)]
        events.append(sse("content_block_start", {"type": "content_block_start",
                                                  "index": index, "content_block": opened}))
        events.extend(sse("content_block_delta", {"type": "content_block_delta",
                                                  "index": index, "delta": delta})
                      for delta in deltas)
        events.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
    events.append(sse("message_delta", {
        "type": "message_delta",
        "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
        "usage": {"output_tokens": usage["output_tokens"]}}))
    events.append(sse("message_stop", {"type": "message_stop"}))
    return b"".join(events)
