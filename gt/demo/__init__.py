"""`gt demo`: a whole town on the scripted runtime, from an empty directory to a landed convoy."""
