"""`python -m gt` runs the `gt` command."""

from gt.cli.main import main

main()
