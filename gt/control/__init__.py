"""The overseer's controls over a running town: capacity and the sling queue, the emergency
stop, parked rigs. Their state is in the town's ledger, so every clone of the town obeys it."""
