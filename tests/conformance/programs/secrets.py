"""Exports a secret config value and a plain one."""

import pulumi

config = pulumi.Config()
pulumi.export("password", config.require_secret("password"))
pulumi.export("plain", "visible")
