"""The work loop: sling, hook, done, handoff, mail, nudge, convoys and prime."""
