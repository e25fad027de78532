"""`python -m gt` runs the `gt` command."""

from gt.cli.entry import main

main()
