"""Reads an object config value as JSON text and as an object."""

import pulumi

config = pulumi.Config()
pulumi.export("text", config.require("servers"))
pulumi.export("object", config.require_object("servers"))
