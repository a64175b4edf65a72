"""The two ways a stack lets people open a port: `direct` and `approval`.

- `direct`: requesters hold the JIT requester role (with `initiate`) and call JIT themselves (`jit request`).
- `approval`: only the approval workflow's managed identity holds `initiate`; people get the read-only
  `JitViewerRole` and ask the workflow. JIT's only check is RBAC, so any human holding `initiate` where the
  workflow serves would make approval optional: the requester role refuses assignees in this mode, and the
  pack's `approval-mode-no-human-initiate` flags such assignments in any program.

The default is `approval` when an approval workflow is configured, else `direct`.
"""

from __future__ import annotations

DIRECT, APPROVAL = "direct", "approval"
REQUEST_MODES = (DIRECT, APPROVAL)


def resolve_request_mode(value: object, workflow_configured: bool, where: str = "requestMode") -> str:
    """The stack's mode from its config value (None: the default), or ValueError naming the key and the fix."""
    if value is None:
        return APPROVAL if workflow_configured else DIRECT
    mode = value.strip().lower() if isinstance(value, str) else value
    if mode not in REQUEST_MODES:
        raise ValueError(
            f"{where}: {value!r}; use 'approval' (only the approval workflow may open ports; people get a read-only "
            "viewer role) or 'direct' (requesters open ports themselves with the requester role)"
        )
    if mode == APPROVAL and not workflow_configured:
        raise ValueError(
            f"{where}: 'approval' needs the approval workflow: configure it (the stack's `approvals`), or use 'direct'"
        )
    return str(mode)
