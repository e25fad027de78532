"""Set-up: making a town (`gt install`, joining a shared town) and its rigs (`gt rig add`).

The only code with install side effects: git repositories cloned or initialised, ledgers and
agent beads made, git hook shims installed, the reactor's cursors started.
"""
