#!/usr/bin/env bash
# A short walk through the ledger: file work, wire dependencies, claim, close, and read
# the whole story back with plain git. Runs in a scratch repository it makes itself.
set -euo pipefail
dir="${1:-$(mktemp -d)/walkthrough}"
mkdir -p "$dir" && cd "$dir"
git init -q -b main . && git commit -q --allow-empty -m "initial"
export BD_ACTOR=mayor
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step bd init --prefix gt
epic=$(bd create "Ship the login page" -t epic -p P1 --silent)
schema=$(bd create "Design the session schema" --parent "$epic" -p P1 --silent)
api=$(bd create "Build the login API" --parent "$epic" --deps "blocks:$schema" --silent)
ui=$(bd create "Build the login form" --parent "$epic" --deps "blocks:$api" -l ui --silent)
step bd list
step bd ready
step bd blocked
step env BD_ACTOR=gastown/polecats/nux bd update "$schema" --claim
step env BD_ACTOR=gastown/polecats/slit bd update "$schema" --claim || true
step env BD_ACTOR=gastown/polecats/nux bd close "$schema" --reason "schema merged"
step bd ready
step bd dep tree "$ui"
wisp=$(bd create "patrol: check polecats" --ephemeral --silent)
step bd wisp list
step bd wisp burn "$wisp"
step bd history "$schema"
step git log --format='%h %an: %s' beads
step git log --author=gastown/polecats/nux --format='%h %s' beads
step bd verify
step bd stats
printf '\nThe ledger lives in %s on refs/heads/beads; the work tree was never touched:\n' "$dir"
git status --short --branch
