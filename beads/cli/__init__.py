"""The `bd` command: one module per command group, all thin layers on `beads.Ledger`."""
