"""Violations grouped per policy and resource: instances listed once, the fix (the policy's
`remediation_steps`, else its description) in its own column, a link to the policy's `url`."""

import textwrap

from azure_jit_access.cli.main import main
from azure_jit_access.cli.preview.model import Violation
from azure_jit_access.cli.preview.violation_groups import PolicyDoc, group_violations
from tests.markdown.checks import render_gfm

PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def each_open_rule(args, report):
    for rule in args.props.get("securityRules") or []:
        if rule.get("sourceAddressPrefix") == "*":
            report(f"rule {rule['name']} allows any source")


def tags(args, report):
    if args.resource_type.endswith("NetworkSecurityGroup") and not args.props.get("tags"):
        report("no tags")


PolicyPack(
    name="review-pack",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name="no-any-source", description="NSG rules must not allow any source.",
            enforcement_level=EnforcementLevel.MANDATORY, validate=each_open_rule,
            remediation_steps="Set sourceAddressPrefix to your office egress (a /32) or use JIT.",
            url="https://example.com/policies/no-any-source",
        ),
        ResourceValidationPolicy(name="tagged", description="Tag every NSG.", validate=tags),
    ],
)
"""


def test_one_row_per_policy_and_resource_with_fix_and_docs_link(program_dir, tmp_path, capsys):
    main_py = program_dir / "__main__.py"
    main_py.write_text(
        main_py.read_text().replace(
            'source_address_prefix="*", destination_port_range="22")',
            'source_address_prefix="*", destination_port_range="22"),\n'
            '    network.SecurityRuleArgs(name="rdp", access="Allow", direction="Inbound", protocol="Tcp",\n'
            '        priority=110, source_address_prefix="*", destination_port_range="3389")',
        )
    )
    pack = tmp_path / "review-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 1.0.0\n")
    (pack / "__main__.py").write_text(textwrap.dedent(PACK))
    args = ["preview", "--program", str(program_dir), "--policy-pack", str(pack), "--format", "markdown"]
    assert main(args) == 1
    text = capsys.readouterr().out
    rows = [line for line in text.splitlines() if line.startswith(("| mandatory", "| advisory"))]
    assert rows == [
        "| mandatory | [`no-any-source`](https://example.com/policies/no-any-source) | `NetworkSecurityGroup` open-nsg "
        "| • rule rdp allows any source<br>• rule ssh allows any source "
        "| Set sourceAddressPrefix to your office egress (a /32) or use JIT. |",
        "| advisory | `tagged` | `NetworkSecurityGroup` closed-nsg | • no tags | Tag every NSG. |",
        "| advisory | `tagged` | `NetworkSecurityGroup` open-nsg | • no tags | Tag every NSG. |",
    ]
    _, html = render_gfm(text)
    assert '<a href="https://example.com/policies/no-any-source"><code>no-any-source</code></a>' in html


def test_duplicates_are_said_once_and_a_message_without_description_is_kept_whole():
    violations = [
        Violation("p", "x", "advisory", "urn:a", "Describe.\nfirst"),
        Violation("p", "x", "advisory", "urn:a", "Describe.\nfirst"),
        Violation("p", "x", "mandatory", None, "something else entirely"),
    ]
    groups = group_violations(violations, {"p/x": PolicyDoc("Describe.", None, None)})
    assert [(g.enforcement, g.urn, g.instances, g.fix) for g in groups] == [
        ("mandatory", None, ["something else entirely"], "Describe."),
        ("advisory", "urn:a", ["first"], "Describe."),
    ]
