"""Reads another stack's output through a StackReference."""

import pulumi

network = pulumi.StackReference("acme/network/prod")
pulumi.export("subnetId", network.get_output("subnetId"))
