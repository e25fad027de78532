"""`python -m tests.scripted_model [--scenario FILE] [--log FILE]`: serve until interrupted.

Prints the port on the first line of stdout once the server listens.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from pathlib import Path

from tests.scripted_model.scenario import Scenario
from tests.scripted_model.server import ScriptedModel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.scripted_model",
                                     description="Serve a scripted model on 127.0.0.1.")
    parser.add_argument("--scenario", type=Path, help="a JSON scenario file")
    parser.add_argument("--log", type=Path, help="append every request to this JSONL file")
    args = parser.parse_args(argv)
    try:
        scenario = Scenario.load(args.scenario) if args.scenario else Scenario()
    except (OSError, ValueError, AttributeError, TypeError) as error:
        print(f"scripted model: cannot read the scenario {args.scenario}: {error}",
              file=sys.stderr)
        return 2
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with ScriptedModel(scenario, args.log) as model:
        print(model.port, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
