"""Requester commands: `jit request`, `jit status`, `jit revoke`."""
