"""Supervision: agents judged alive, stalled or dead from several signals, and what the
Witness (inside the reactor) and the Deacon (its own loop) do about it."""
