"""One e-mail rule for alert receivers and approvers: exactly one address, nothing that could add a recipient."""

import pytest

from azure_jit_access.rules.emails import is_email


@pytest.mark.parametrize("value", ["secops@contoso.com", "a.b+jit@sub.contoso.co.uk"])
def test_addresses_are_accepted(value):
    assert is_email(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "secops",
        "secops@contoso",
        "a@b.com;c@d.com",
        "a@b.com,c@d.com",
        "Sec Ops <secops@contoso.com>",
        " secops@contoso.com",
        "a@@b.com",
        "a@b..com",
        "a@b.com.",
        "sécops@contoso.com",
        "a" * 250 + "@b.com",
        None,
        42,
    ],
)
def test_anything_else_is_refused(value):
    assert not is_email(value)
