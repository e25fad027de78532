"""Bead ids: validation, minting (`<prefix>-<base36 hash>`), children and tree paths."""

from __future__ import annotations

import hashlib
import math
import os
import re

from beads.errors import InvalidInput

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,15}$")
MAX_ID = 100
ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
MIN_HASH_LEN = 4
# Probability of any collision among n random ids that we refuse to cross.
BIRTHDAY_BOUND = 0.25


def check_id(bead_id: str) -> str:
    """Refuse ids that could escape the tree or break a terminal: '/', '..', spaces, controls."""
    if not isinstance(bead_id, str) or not bead_id:
        raise InvalidInput("empty bead id")
    if len(bead_id) > MAX_ID or not ID_RE.match(bead_id) or not bead_id.isascii():
        raise InvalidInput(f"invalid bead id {bead_id!r}: use letters, digits, '-', '_' "
                           "and single dots between parts")
    return bead_id


def check_dep_target(target: str) -> str:
    """A dependency target: a bead id, or `external:<project>:<id>` for another ledger's bead."""
    if isinstance(target, str) and target.startswith("external:"):
        _, project, rest = ([*target.split(":", 2), "", ""])[:3]
        if re.match(r"^[A-Za-z0-9_-]+$", project) and rest and ID_RE.match(rest):
            return target
        raise InvalidInput(f"invalid external dependency {target!r}: use external:<project>:<id>")
    return check_id(target)


def check_prefix(prefix: str) -> str:
    if not PREFIX_RE.match(prefix or ""):
        raise InvalidInput(f"invalid prefix {prefix!r}: 1-16 lowercase letters or digits, "
                           "starting with a letter")
    return prefix


def root_id(bead_id: str) -> str:
    """The top-level ancestor's id: `gt-7k2mq.1.2` -> `gt-7k2mq`."""
    return bead_id.split(".", 1)[0]



def shard(bead_id: str) -> str:
    """Two characters from the root id's last part, so a family of beads shares a shard."""
    tail = root_id(bead_id).rsplit("-", 1)[-1].lower()
    return (tail + "__")[:2]


def bead_path(bead_id: str) -> str:
    return f"issues/{shard(bead_id)}/{bead_id}.json"


def hash_length(count: int) -> int:
    """Shortest base36 length that keeps a collision among `count + 1` ids under the bound."""
    n = count + 1
    # P(collision) ~ 1 - exp(-n^2 / 2N) <= bound  <=>  N >= n^2 / (2 * -ln(1 - bound))
    needed = n * n / (2 * -math.log(1 - BIRTHDAY_BOUND))
    length = MIN_HASH_LEN
    while 36**length < needed:
        length += 1
    return length


def _base36(data: bytes, length: int) -> str:
    number = int.from_bytes(data, "big")
    chars = []
    for _ in range(length):
        number, digit = divmod(number, 36)
        chars.append(ALPHABET[digit])
    return "".join(chars)


def mint(prefix: str, count: int, seed: str, attempt: int = 0) -> str:
    """A fresh id for the ledger's next bead; `attempt` lengthens the hash after a collision."""
    digest = hashlib.sha256(f"{seed}\0{os.urandom(16).hex()}".encode()).digest()
    return f"{prefix}-{_base36(digest, hash_length(count) + attempt)}"


def child_id(parent_id: str, taken: set[str]) -> str:
    """The parent's next free `<parent>.N`, given the ids already in the parent's shard."""
    prefix = parent_id + "."
    numbers = [int(rest) for name in taken if name.startswith(prefix)
               and (rest := name[len(prefix):]).isdigit()]
    return f"{parent_id}.{max(numbers, default=0) + 1}"
