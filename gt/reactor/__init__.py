"""The reactor: turns ledger commits into actions (wake agents, deliver mail, land convoys)."""
