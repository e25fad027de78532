"""`gt doctor`: checks of a town's plumbing, each finding with its fix.

A check group is a module with `check(town, options) -> list[Finding]`; a finding that is
safe to repair carries a `repair` callable, which `--fix` runs and reports. Everything a
check reads about the town comes through `gt.townview`, as `gt status` reads it.
"""
