"""Logs an error without raising."""

import pulumi

pulumi.log.error("quota exceeded for westeurope")
