"""`python -m beads` runs the `bd` command."""

from beads.cli.main import main

main()
