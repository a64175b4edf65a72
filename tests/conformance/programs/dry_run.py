"""Exports whether the program runs as a preview."""

import pulumi

pulumi.export("isDryRun", pulumi.runtime.is_dry_run())
