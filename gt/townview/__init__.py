"""The town as data: one read of rigs, agents, convoys, merge queues, escalations and the
health of the reactor and each Refinery, with the problems that need a person first.

`gt status`, `gt dashboard`, `gt doctor` and `gt feed --problems` all read the town through
this package, so a new kind of state (an agent state, a kind of problem) is added here once.
Everything is read from the ledgers' read caches (sqlite) and from refs as plain files: the
warm path never loads pygit2.
"""
