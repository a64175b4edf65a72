"""Entry point of the `jit` command.

Each sub-command lives in its own module with a `register(subparsers)` function that adds its parser and
sets `handler` to a callable taking the parsed arguments and returning an exit status. Heavy imports
(pulumi, pulumi_azure_native, the Azure SDK) happen inside the handlers, so `jit --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys

from azure_jit_access.cli.preview import cli as preview_cli
from azure_jit_access.cli.requester import cli as requester_cli


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every sub-command registered."""
    parser = argparse.ArgumentParser(
        prog="jit",
        description="Just-in-time VM access on Azure: offline preview of Pulumi programs with CrossGuard "
        "policy packs, and the requester's commands.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    preview_cli.register(subparsers)
    requester_cli.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the `jit` command and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
