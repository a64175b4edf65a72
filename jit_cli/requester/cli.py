"""Argument parsing for `jit request`, `jit status` and `jit revoke` (filled in by the requester issue)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the requester sub-commands to the `jit` parser."""
