"""`python -m beads` runs the `bd` command."""

from beads.cli.entry import main

main()
