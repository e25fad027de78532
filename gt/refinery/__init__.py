"""The Refinery: drains a rig's merge requests (`refs/mr/*`) into its default branch."""
