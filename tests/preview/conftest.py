"""Small programs and packs written into temporary folders, as a third party would have them."""

import textwrap

import pytest

PROGRAM = """
import pulumi
from pulumi_azure_native import network

nsg = network.NetworkSecurityGroup("open-nsg", resource_group_name="rg",
    security_rules=[network.SecurityRuleArgs(name="ssh", access="Allow", direction="Inbound", protocol="Tcp",
                                             priority=100, source_address_prefix="*", destination_port_range="22")])
network.NetworkSecurityGroup("closed-nsg", resource_group_name="rg")
pulumi.export("nsgId", nsg.id)
"""

PACK = """
from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyPack, ResourceValidationPolicy,
                           StackValidationPolicy)
from third_party_rules import inline_rules


def count_resources(args, report):
    limit = args.get_config()["maxResources"]
    if len(args.resources) > limit:
        report(f"{len(args.resources)} resources, more than {int(limit)}")


PolicyPack(
    name="third-party-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(name="no-inline-rules", description="NSGs must not have inline rules.",
                                 enforcement_level=EnforcementLevel.MANDATORY, validate=inline_rules),
        ResourceValidationPolicy(name="always-advice", description="Advice on every NSG.",
                                 validate=lambda args, report: report("consider tags")
                                 if args.resource_type.endswith("NetworkSecurityGroup") else None),
        StackValidationPolicy(name="stack-size", description="Small stacks only.",
                              validate=count_resources,
                              config_schema=PolicyConfigSchema(properties={
                                  "maxResources": {"type": "integer", "minimum": 0, "default": 2}})),
    ],
)
"""

RULES = """
def inline_rules(args, report):
    if args.resource_type == "azure-native:network:NetworkSecurityGroup" and args.props.get("securityRules"):
        report("declares securityRules inline: use standalone SecurityRule resources")
"""


@pytest.fixture
def program_dir(tmp_path):
    folder = tmp_path / "program"
    folder.mkdir()
    (folder / "Pulumi.yaml").write_text("name: third-party\nruntime: python\n")
    (folder / "__main__.py").write_text(textwrap.dedent(PROGRAM))
    return folder


@pytest.fixture
def pack_dir(tmp_path):
    folder = tmp_path / "pack"
    folder.mkdir()
    (folder / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 2.0.0\n")
    (folder / "__main__.py").write_text(textwrap.dedent(PACK))
    (folder / "third_party_rules.py").write_text(textwrap.dedent(RULES))
    return folder
