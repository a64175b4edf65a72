"""Raises an exception at a known line."""

import pulumi

pulumi.export("before", 1)
raise ValueError("the network plan is missing")
