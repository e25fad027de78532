"""gt: the orchestrator."""
