"""The `gt` command: one module per command group, thin layers on the gt packages."""
