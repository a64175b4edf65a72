"""The `jit` command: offline preview engine and requester commands."""
