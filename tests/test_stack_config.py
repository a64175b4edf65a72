"""Bad stack config through `jit preview`: exit status 2, one message naming the file, the key and the fix.

Each case overrides one key of the dev or bastion stack (`--config KEY=VALUE`, the same JSON text Pulumi
stores for objects and lists). Types are never coerced: a quoted "false" is an error, not True.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main
from stack_schema import TOP_LEVEL, ConfigError, check, did_you_mean, validate_namespace

ROOT = Path(__file__).resolve().parents[1]
NS = "azure-jit-access"
LINUX = {"name": "vm1", "os": "linux"}
NET = {"addressSpace": "10.20.0.0/16", "workloadSubnetPrefix": "10.20.1.0/24"}


def _vm(**extra):
    return json.dumps([{**LINUX, **extra}])


def _audit(**extra):
    return json.dumps({"enabled": True, "alertEmails": ["secops@example.com"], **extra})


def _approvals(**extra):
    approver = {"objectId": "3b1f6c2d-8e4a-4f7b-9a0c-5d6e7f8a9b0c", "type": "Group", "mail": "a@example.com"}
    base = {"tenantId": "00000000-0000-4000-8000-000000000002", "approvers": [approver]}
    return json.dumps({**base, "http": {"audience": "api://jit"}, **extra})


# (stack, key, value, the key path the message must name, what the message must say about the fix)
CASES = [
    # Quoted booleans: the original bug (bool("false") is True).
    ("dev", "vms", _vm(publicIp="false"), "vms[0].publicIp", "write false unquoted"),
    ("dev", "vms", _vm(publicIp="true"), "vms[0].publicIp", "write true unquoted"),
    ("dev", "vms", _vm(winrm="false"), "vms[0].winrm", "write false unquoted"),
    ("dev", "vms", _vm(winrm="no"), "vms[0].winrm", "write false unquoted"),
    ("dev", "audit", _audit(enabled="false"), "audit.enabled", "write false unquoted"),
    ("dev", "audit", _audit(exportActivityLog="false"), "audit.exportActivityLog", "write false unquoted"),
    ("dev", "audit", _audit(retainAuditData="off"), "audit.retainAuditData", "write false unquoted"),
    ("bastion", "bastion", json.dumps({"enableTunneling": "false"}), "bastion.enableTunneling", "unquoted"),
    ("dev", "defender", json.dumps({"retainOnDelete": "false"}), "defender.retainOnDelete", "unquoted"),
    ("dev", "defender", json.dumps({"protect": "false"}), "defender.protect", "write false unquoted"),
    # Other wrong types.
    ("dev", "vms", _vm(publicIp=1), "vms[0].publicIp", "expected true or false"),
    ("dev", "vms", _vm(publicIp=None), "vms[0].publicIp", "has no value"),
    ("dev", "vms", _vm(winrm=[]), "vms[0].winrm", "expected true or false"),
    ("dev", "vms", _vm(name=42), "vms[0].name", "expected a string"),
    ("dev", "vms", _vm(os=True), "vms[0].os", "expected a string"),
    ("dev", "vms", _vm(size=2), "vms[0].size", "in quotes"),
    ("dev", "vms", _vm(ports="22"), "vms[0].ports", "expected a list"),
    ("dev", "vms", _vm(ports=["22"]), "vms[0].ports[0]", "write 22 unquoted"),
    ("dev", "vms", _vm(ports=[22.5]), "vms[0].ports[0]", "whole number"),
    ("dev", "vms", _vm(ports=[True]), "vms[0].ports[0]", "whole number"),
    ("dev", "vms", _vm(image="ubuntu"), "vms[0].image", "expected a mapping"),
    ("dev", "vms", _vm(image={"publisher": "Canonical", "sku": 24}), "vms[0].image.sku", "expected a string"),
    ("dev", "vms", _vm(extraRules={"name": "x"}), "vms[0].extraRules", "expected a list"),
    ("dev", "vms", _vm(extraRules=[{"name": "r", "priority": "200"}]), "extraRules[0].priority", "write 200 unquoted"),
    ("dev", "vms", _vm(extraRules=[{"name": "r", "ports": [True]}]), "extraRules[0].ports[0]", "port number"),
    ("dev", "vms", _vm(extraRules=[{"name": "r", "sources": "Internet"}]), "extraRules[0].sources", "a list"),
    ("dev", "vms", _vm(computerName=["a"]), "vms[0].computerName", "expected a string"),
    ("dev", "vms", json.dumps(["vm1"]), "vms[0]", "expected a mapping"),
    ("dev", "vms", json.dumps({"name": "vm1"}), "vms", "expected a list"),
    ("dev", "vms", "vm1", "vms", "expected a list"),
    ("dev", "network", "10.20.0.0/16", "network", "expected a mapping"),
    ("dev", "network", json.dumps({**NET, "addressSpace": ["10.20.0.0/16"]}), "network.addressSpace", "a string"),
    ("dev", "allowedSourcePrefixes", "203.0.113.7", "allowedSourcePrefixes", "expected a list"),
    ("dev", "allowedSourcePrefixes", json.dumps([203]), "allowedSourcePrefixes[0]", "expected a string"),
    ("dev", "tags", json.dumps({"cost": 12}), "tags.cost", "quote it"),
    ("dev", "tags", json.dumps(["dev"]), "tags", "expected a mapping"),
    ("dev", "requesterGroupIds", "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c", "requesterGroupIds", "expected a list"),
    ("dev", "requesterPortal", "maybe", "requesterPortal", "expected true or false"),
    ("dev", "assignJitAuditPolicy", "1", "assignJitAuditPolicy", "expected true or false"),
    ("dev", "audit", _audit(retentionInDays="90"), "audit.retentionInDays", "write 90 unquoted"),
    ("dev", "audit", _audit(alertEmails="secops@example.com"), "audit.alertEmails", "expected a list"),
    ("dev", "approvals", _approvals(maxDurationMinutes="180"), "approvals.maxDurationMinutes", "write 180 unquoted"),
    ("dev", "approvals", _approvals(approvers="a@example.com"), "approvals.approvers", "expected a list"),
    ("dev", "approvals", _approvals(http="api://jit"), "approvals.http", "expected a mapping"),
    ("dev", "approvals", _approvals(approvers=["a@example.com"]), "approvals.approvers[0]", "objectId: <Entra user"),
    ("dev", "approvals", _approvals(approvers=[{"objectId": 7}]), "approvals.approvers[0].objectId", "a string"),
    ("dev", "approvals", _approvals(approvers=[{"type": "Role"}]), "approvers[0].type", "use 'User' or 'Group'"),
    ("dev", "approvals", _approvals(approvers=[{"type": "Grop"}]), "approvers[0].type", "did you mean 'Group'?"),
    ("dev", "approvals", _approvals(approvers=[{"objectID": "x"}]), "approvers[0]: unknown key", "'objectId'?"),
    ("dev", "requestMode", "aproval", "azure-jit-access:requestMode", "did you mean 'approval'?"),
    ("dev", "requestMode", "manual", "azure-jit-access:requestMode", "use 'approval' or 'direct'"),
    ("dev", "requestMod", "direct", "azure-jit-access:requestMod", "did you mean 'requestMode'?"),
    ("dev", "defender", json.dumps({"extensions": "AgentlessVmScanning"}), "defender.extensions", "a list"),
    ("dev", "audit", "", "azure-jit-access:audit", "has no value; give one or remove the key"),
    ("dev", "resourceGroupName", "", "azure-jit-access:resourceGroupName", "has no value"),
    # Unknown keys, with the closest known one.
    ("dev", "vmz", "[]", "azure-jit-access:vmz", "did you mean 'vms'?"),
    ("dev", "accesMode", "public", "azure-jit-access:accesMode", "did you mean 'accessMode'?"),
    ("dev", "AllowedSourcePrefixes", "[]", "AllowedSourcePrefixes", "did you mean 'allowedSourcePrefixes'?"),
    ("dev", "requesterGroupId", "[]", "requesterGroupId", "did you mean 'requesterGroupIds'?"),
    ("dev", "sshKey", "ssh-ed25519 AAAA", "sshKey", "did you mean 'sshPublicKey'?"),
    ("dev", "vms", _vm(publicIP=True), "vms[0]: unknown key 'publicIP'", "did you mean 'publicIp'?"),
    ("dev", "vms", _vm(port=[22]), "vms[0]: unknown key 'port'", "did you mean 'ports'?"),
    ("dev", "vms", _vm(extraRules=[{"name": "r", "source": ["Internet"]}]), "extraRules[0]", "'sources'?"),
    ("dev", "network", json.dumps({**NET, "workloadSubnet": "10.20.1.0/24"}), "network", "'workloadSubnetPrefix'?"),
    ("dev", "audit", _audit(enable=True), "audit: unknown key 'enable'", "did you mean 'enabled'?"),
    ("dev", "audit", _audit(alertEmail=["x@example.com"]), "audit: unknown key", "'alertEmails'?"),
    ("dev", "defender", json.dumps({"extension": []}), "defender: unknown key", "'extensions'?"),
    ("bastion", "bastion", json.dumps({"skus": "Standard"}), "bastion: unknown key", "did you mean 'sku'?"),
    ("dev", "approvals", _approvals(approver=["x@example.com"]), "approvals: unknown key", "'approvers'?"),
    ("dev", "approvals", _approvals(http={"audiences": "x"}), "approvals.http: unknown key", "'audience'?"),
    # Values of the right type that are still wrong (checked by the semantic validators after the schema).
    ("dev", "accessMode", "vpn", "azure-jit-access:accessMode", "use 'public'"),
    ("dev", "vms", "[]", "azure-jit-access:vms", "at least one VM is required"),
    ("dev", "vms", _vm(os="beos"), "vms[0].os", "unknown OS"),
    ("dev", "allowedSourcePrefixes", "[]", "allowedSourcePrefixes", "required in public mode"),
    ("bastion", "vms", _vm(publicIp=True), "vms[0].publicIp", "remove publicIp"),
    ("dev", "network", json.dumps({"addressSpace": "10.20.0.0/16"}), "network.workloadSubnetPrefix", ""),
]


def _preview(stack: str, *overrides: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        # --timeout bounds every case by the tool itself.
        argv = ["preview", "--timeout", "60", "--program", str(ROOT), "--stack", stack]
        status = main([*argv, *[f"--config={o}" for o in overrides]])
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("stack, key, value, path, fix", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_bad_config_exits_2_naming_file_key_and_fix(stack, key, value, path, fix):
    status, out, err = _preview(stack, f"{NS}:{key}={value}")
    assert status == 2, err
    assert out == "" and "Traceback" not in err
    assert f"Pulumi.{stack}.yaml: " in err and path in err and fix in err, err
    assert len(err.strip().splitlines()) == 1


def test_there_are_at_least_sixty_bad_config_cases():
    assert len(CASES) >= 60


def test_quoted_boolean_at_top_level_is_read_strictly():
    # Top-level scalars arrive as strings from Pulumi: only true and false are booleans.
    assert validate_namespace({f"{NS}:requesterPortal": "false"}) == {"requesterPortal": False}
    with pytest.raises(ConfigError, match="requesterPortal: expected true or false, got 'yes'"):
        validate_namespace({f"{NS}:requesterPortal": "yes"})


def test_other_namespaces_are_not_checked():
    assert validate_namespace({"azure-native:location": "westeurope", "pulumi:tags": "{}"}) == {}


def test_every_top_level_key_is_declared_in_pulumi_yaml():
    import yaml

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))["config"]
    # Pulumi's project config types (sdk/go/common/workspace/project.json): string, integer, boolean, array.
    kinds = {"string": "string", "boolean": "boolean", "list": "array"}
    for key, spec in declared.items():
        assert key in TOP_LEVEL, key
        assert spec["type"] == kinds[TOP_LEVEL[key].kind] and spec["description"]
        if spec["type"] == "array":
            assert spec["items"] == {"type": "string"}
    scalar_keys = {k for k, s in TOP_LEVEL.items() if s.kind in kinds and (s.items is None or s.items.kind == "string")}
    assert scalar_keys == set(declared)


def test_did_you_mean_falls_back_to_the_known_keys():
    assert did_you_mean("zzz", {"alpha", "beta"}) == "known keys: alpha, beta"


def test_check_accepts_the_dev_stack_values():
    import yaml

    doc = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))["config"]
    for full, value in doc.items():
        if full.startswith(f"{NS}:"):
            check(value, TOP_LEVEL[full.split(":", 1)[1]], full)


def _read_config(stack: str, *overrides: str):
    """`stack_config.read_config()` as the program runs it (under the engine, with the stack's config)."""
    from azure_jit_access.cli.preview.engine import run_inline
    from azure_jit_access.cli.preview.project_config import load_project
    from stack_config import read_config

    project = load_project(ROOT, stack, list(overrides))
    captured = []
    run_inline(lambda: captured.append(read_config()), stack=stack, config=project.config)
    return captured[0]


def _values(obj, path="config"):
    """Every (path, value) inside a dataclass tree."""
    import dataclasses

    if dataclasses.is_dataclass(obj):
        for item in dataclasses.fields(obj):
            yield from _values(getattr(obj, item.name), f"{path}.{item.name}")
    elif isinstance(obj, (list, tuple)):
        for index, item in enumerate(obj):
            yield from _values(item, f"{path}[{index}]")
    else:
        yield path, obj


@pytest.mark.parametrize("stack", ["dev", "bastion"])
def test_config_is_read_once_into_settings_without_placeholders(stack):
    config = _read_config(stack)
    assert [path for path, value in _values(config) if value == ""] == []
    group = f"rg-jit-{stack}"
    assert config.placement.subnet_id.endswith(
        f"/resourceGroups/{group}/providers/Microsoft.Network/virtualNetworks/vnet-{group}/subnets/workload"
    )
    # The wiring goes in only when a component is created.
    args = config.vms[0].args(resource_group_name="rg-x", subnet_id="/subnets/x", location="westus3")
    assert (args.resource_group_name, args.subnet_id, args.location) == ("rg-x", "/subnets/x", "westus3")
    assert args.vm_name == config.vms[0].vm_name and args.tags == {"environment": stack, "workload": NS}
    policy = config.policy.args(resource_group_name="rg-x", virtual_machines=[])
    assert policy.resource_group_name == "rg-x" and policy.policy_name == "default"


def test_quoted_false_never_reaches_a_setting():
    # Before the schema, bool("false") made this VM public: the override must fail, not read as True.
    with pytest.raises(ValueError, match=r"^Pulumi.dev.yaml: azure-jit-access:vms\[0\].publicIp: 'false' is quoted"):
        _read_config("dev", f'{NS}:vms=[{{"name": "vm1", "os": "linux", "publicIp": "false"}}]')
    config = _read_config("dev", f'{NS}:vms=[{{"name": "vm1", "os": "linux", "publicIp": false}}]')
    assert config.vms[0].public_ip is False


def test_the_library_does_not_read_the_program_config():
    # Components take settings and wiring; only the program reads `pulumi.Config`.
    for path in (ROOT / "components").rglob("*.py"):
        assert "pulumi.Config(" not in path.read_text(encoding="utf-8"), path


def test_config_errors_are_clean_pulumi_run_errors():
    # `pulumi up` prints a RunError's message without a traceback (pulumi.errors.RunError).
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError) and issubclass(ConfigError, ValueError)


def test_group_ids_sharing_their_first_characters_get_distinct_labels():
    from stack_config import group_labels

    first, second = "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c", "6F2C9A1E-0000-4e55-9c0a-1d2e3f4a5b6c"
    # The dev stack's single group keeps its label (its URNs are pinned in tests/golden).
    assert group_labels([first]) == {first: "group-6f2c9a1e"}
    labels = group_labels([first, second])
    assert labels == {second.lower(): "group-6f2c9a1e", first: "group-6f2c9a1e3b7d4e559c0a1d2e3f4a5b6c"}
    assert group_labels([second, first]) == labels
    config = _read_config("dev", f'{NS}:requesterGroupIds=["{first}", "{second}"]')
    # The dev stack is in approval mode: the requester groups are the viewer role's assignees.
    assert config.requester.assignees == []
    assert sorted(a.label for a in config.viewer.assignees) == sorted(labels.values())


def test_a_group_listed_twice_is_named():
    group = "6f2c9a1e-3b7d-4e55-9c0a-1d2e3f4a5b6c"
    with pytest.raises(ValueError, match=r"requesterGroupIds\[1\]: .* is listed twice; list each group once"):
        _read_config("dev", f'{NS}:requesterGroupIds=["{group}", "{group.upper()}"]')
