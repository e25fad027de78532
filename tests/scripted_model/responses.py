"""The OpenAI Responses API (`POST /v1/responses`), as Codex calls it.

A text reply streams as an assistant message item; each shell command is a `function_call`
item for Codex's `exec_command` tool (`{"cmd": "..."}`), sent as `response.output_item.done`,
the smallest stream Codex accepts for a tool call. Every stream ends with `response.completed`
carrying the usage. Codex also asks, with no tools, for a title as JSON matching a schema
(`text.format`): that side request gets JSON of the schema's shape.
"""

from __future__ import annotations

import json
from typing import Any

from tests.scripted_model.scenario import Reply, Scenario, Turn, sample_json
from tests.scripted_model.wire import Answer, Ids, side_request_schema, sse, token_estimate

SHELL_TOOL = "exec_command"
REPLY_ITEMS = ("function_call", "reasoning", "local_shell_call", "custom_tool_call")


def answer(body: dict[str, Any], scenario: Scenario, ids: Ids) -> Answer:
    """The reply to a Responses API request body, streamed when it asks for a stream."""
    turn = read_turn(body)
    schema = side_request_schema(body, "text")
    if schema is not None:
        kind, reply = "side", Reply(json.dumps(sample_json(schema)))
    else:
        kind, reply = "turn", scenario.reply(turn)
    items = _items(reply, ids)
    usage = {"input_tokens": token_estimate(body.get("input", [])),
             "input_tokens_details": {"cached_tokens": 0},
             "output_tokens": token_estimate(items),
             "output_tokens_details": {"reasoning_tokens": 0}}
    usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]
    response = {"id": ids.next("resp_scripted"), "object": "response",
                "model": body.get("model", "scripted"), "status": "completed",
                "output": items, "usage": usage}
    if not body.get("stream"):
        return Answer(kind, turn, reply, json.dumps(response).encode(), "application/json")
    started = {**response, "status": "in_progress", "output": [], "usage": None}
    events = [sse("response.created", {"type": "response.created", "response": started})]
    for index, item in enumerate(items):
        if item["type"] == "message":
            events.append(sse("response.output_item.added", {
                "type": "response.output_item.added", "output_index": index,
                "item": {**item, "status": "in_progress", "content": []}}))
            events.append(sse("response.output_text.delta", {
                "type": "response.output_text.delta", "item_id": item["id"],
                "output_index": index, "content_index": 0,
                "delta": item["content"][0]["text"]}))
        events.append(sse("response.output_item.done", {
            "type": "response.output_item.done", "output_index": index, "item": item}))
    events.append(sse("response.completed", {"type": "response.completed",
                                             "response": response}))
    return Answer(kind, turn, reply, b"".join(events), "text/event-stream")

    form = (body.get("text") or {}).get("format") or {}
    if form.get("type") == "json_schema":
        return form.get("schema") or {}
    return None


def read_turn(body: dict[str, Any]) -> Turn:
    """The latest user message, the developer texts, and the replies given since the prompt."""
    raw = body.get("input", [])
    items = [{"type": "message", "role": "user", "content": raw}] if isinstance(raw, str) \
        else [i for i in raw if isinstance(i, dict)]
    system = tuple(_text(i) for i in items if i.get("role") in ("developer", "system"))
    prompt_at = None
    for index in range(len(items) - 1, -1, -1):
        if items[index].get("role") == "user" and _is_typed(items[index]):
            prompt_at = index
            break
    if prompt_at is None:
        return Turn("", system, 0)
    after = [_is_reply(i) for i in items[prompt_at + 1:]]
    step = sum(1 for i, is_reply in enumerate(after) if is_reply and (i == 0 or not after[i - 1]))
    return Turn(_text(items[prompt_at]), system, step)


def _is_typed(item: dict[str, Any]) -> bool:
    """A user message a person typed, not one of the context blocks Codex adds as user."""
    text = _text(item).lstrip()
    return bool(text) and not (text.startswith("<environment_context>")
                               or text.startswith("<user_instructions>")
                               or text.startswith("# AGENTS.md"))


def _is_reply(item: dict[str, Any]) -> bool:
    return item.get("role") == "assistant" or item.get("type") in REPLY_ITEMS


def _text(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    return "\n".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def _items(reply: Reply, ids: Ids) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if reply.text or not reply.commands:
        items.append({"type": "message", "id": ids.next("msg_scripted"), "role": "assistant",
                      "status": "completed",
                      "content": [{"type": "output_text", "text": reply.text,
                                   "annotations": []}]})
    for command in reply.commands:
        items.append({"type": "function_call", "id": ids.next("fc_scripted"),
                      "call_id": ids.next("call_scripted"), "name": SHELL_TOOL,
                      "arguments": json.dumps({"cmd": command}), "status": "completed"})
    return items
