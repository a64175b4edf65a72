"""The access mode from stack config: approval by default when the workflow is configured, never silently wider."""

import re

import pytest

from azure_jit_access.approval.modes import APPROVAL, DIRECT, resolve_request_mode


@pytest.mark.parametrize(
    ("value", "configured", "mode"),
    [(None, True, APPROVAL), (None, False, DIRECT), ("direct", True, DIRECT), (" Approval ", True, APPROVAL)],
)
def test_the_mode_and_its_default(value, configured, mode):
    assert resolve_request_mode(value, configured) == mode


@pytest.mark.parametrize(
    ("value", "configured", "message"),
    [
        (
            "approval",
            False,
            "requestMode: 'approval' needs the approval workflow: configure it (the stack's `approvals`)",
        ),
        ("manual", True, "requestMode: 'manual'; use 'approval'"),
        (True, True, "requestMode: True; use 'approval'"),
    ],
)
def test_mistakes_name_the_key_and_the_fix(value, configured, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        resolve_request_mode(value, configured)
