"""Canonical JSON: the one byte form of every blob and trailer the ledger writes."""

from __future__ import annotations

from typing import Any

import orjson

_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: equal values give equal bytes."""
    return orjson.dumps(value, option=_OPTS)


def dumps_file(value: Any) -> bytes:
    """Canonical form for tree blobs: indented so `git show` and `git diff` read well."""
    return orjson.dumps(value, option=_OPTS | orjson.OPT_INDENT_2) + b"\n"


loads = orjson.loads
