"""Agent runtimes: how to start each kind of coding agent, as data (see `presets`)."""
