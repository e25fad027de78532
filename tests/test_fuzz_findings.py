"""What the command-line fuzzer (tests/test_cli_fuzz.py) found, each pinned by a test of its
own: the invocation it ran, reduced, checked as the fuzzer checks every invocation."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from tests.fuzz_helpers import FuzzTown, check, make_fuzz_town, run

# The module shares a fuzzed town: its tests stay on one worker in a parallel run.
pytestmark = pytest.mark.xdist_group("fuzz_findings")


@pytest.fixture(scope="module")
def town(tmp_path_factory: pytest.TempPathFactory) -> FuzzTown:
    return make_fuzz_town(tmp_path_factory.mktemp("findings"))


@pytest.mark.parametrize(("prog", "words"), [
    ("gt", ["session", "list", "--json", "\x9b31m"]),  # surplus arguments, C1 controls
    ("bd", ["list", "\x9b31m", "--json"]),
])
def test_a_json_error_escapes_c1_controls(town: FuzzTown, prog: str,
                                          words: Sequence[str]) -> None:
    check(town, prog, words, run(town, prog, words))
