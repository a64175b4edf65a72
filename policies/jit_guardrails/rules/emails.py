"""E-mail addresses: one rule for alert receivers and approvers.

Deliberately simple and strict: one address, `local@domain.tld`, no display name, no list separators
(`;`, `,`), no quotes or angle brackets (which would let one field carry several recipients), at most 254
characters (RFC 5321's path limit).
"""

from __future__ import annotations

import re

MAX_EMAIL_LENGTH = 254
_EMAIL = re.compile(r"[^@\s;,<>'\"]+@[^@\s;,<>'\"]+\.[^@\s;,<>'\".]+")


def is_email(value: object) -> bool:
    """Whether `value` is exactly one e-mail address (surrounding blanks are not accepted)."""
    return (
        isinstance(value, str)
        and len(value) <= MAX_EMAIL_LENGTH
        and value.isascii()
        and _EMAIL.fullmatch(value) is not None
        and ".." not in value.split("@", 1)[1]
    )
