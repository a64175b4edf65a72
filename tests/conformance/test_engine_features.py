"""Engine conformance: each fixture program previews as `pulumi preview` documents it would.

The topics follow the Python programs of pulumi/pulumi's tests/integration (config_basic, transforms,
stack_outputs, custom_timeouts, aliases, secret_outputs, program_error, printf, construct_component, ...);
the fixtures are our own, and each test's docstring states the CLI behaviour it checks.
"""

import json

from tests.conformance.conftest import PROGRAMS, SUBSCRIPTION

RG = "azure-native:resources:ResourceGroup"


def line_of(program: str, code: str) -> int:
    """The line of a fixture program holding `code` (fixtures are ruff-formatted, so no fixed numbers)."""
    lines = (PROGRAMS / f"{program}.py").read_text().splitlines()
    return next(number for number, text in enumerate(lines, 1) if code in text)


def test_program_runs_as_a_preview(preview):
    """`pulumi preview` runs the program with `pulumi.runtime.is_dry_run()` true."""
    run = preview("dry_run")
    assert run.code == 0
    assert run.doc["outputs"] == {"isDryRun": True}


def test_apply_on_an_unmodelled_output_previews_as_unknown(preview):
    """An output known only after apply is unknown in preview; its `apply` is skipped and the export is unknown."""
    run = preview("apply_unknown")
    assert run.code == 0, run.stderr
    assert run.doc["outputs"]["web"] == "[unknown]"
    # Values the engine models stay known: the ARM id and the name input.
    assert run.doc["outputs"]["rgId"] == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-web"
    assert run.doc["outputs"]["accountName"] == "site"


def test_text_report_shows_unknowns_as_the_cli_does(preview):
    """The CLI's preview prints a value known after apply as `output<string>`."""
    run = preview("apply_unknown", fmt="text")
    assert run.code == 0
    assert "    web: output<string>" in run.stdout.splitlines()


def test_list_storage_account_keys_answers_keys(preview):
    """listKeys returns the account's two keys, key1 and key2 (Microsoft.Storage StorageAccountListKeysResult)."""
    run = preview("storage_keys")
    assert run.code == 0, run.stderr
    assert run.doc["outputs"]["keyNames"] == ["key1", "key2"]
    assert run.doc["outputs"]["firstKeyLength"] > 0


def test_client_config_for_azure_native_and_classic_azure(preview):
    """getClientConfig (azure-native and classic azure:core) returns the configured subscription and the caller."""
    run = preview("client_config")
    assert run.code == 0, run.stderr
    outputs = run.doc["outputs"]
    assert outputs["nativeSubscription"] == outputs["classicSubscription"] == SUBSCRIPTION
    assert outputs["classicObjectId"] and outputs["nativeTenant"]


def test_invoke_answers_its_result_type_not_its_arguments(preview):
    """A provider function returns its result type (id, name, ...), never the arguments it was called with."""
    run = preview("invoke_shape")
    assert run.code == 0, run.stderr
    vnet_id = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub"
    assert run.doc["outputs"]["id"] == vnet_id
    assert run.doc["outputs"]["name"] == "hub"
    assert "resourceGroupName" not in json.dumps(run.doc["outputs"])


def test_user_assigned_identities_are_a_map_in_outputs(preview):
    """identity.userAssignedIdentities is a list of ids as input and a map of id -> identity as output (ARM)."""
    run = preview("user_identity")
    assert run.code == 0, run.stderr
    identity_id = (
        f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-app/providers/Microsoft.ManagedIdentity/"
        "userAssignedIdentities/app-id"
    )
    assert run.doc["outputs"]["assigned"] == [identity_id]
    assert run.resource("appdata")["inputs"]["identity"]["userAssignedIdentities"] == [identity_id]


def test_resource_transforms_run_own_then_parent(preview):
    """`transforms=` rewrite a resource's inputs before registration; a parent's transforms also apply to children."""
    run = preview("transforms_option")
    assert run.code == 0, run.stderr
    assert run.resource("own")["inputs"]["tags"] == {"owner": "own"}
    assert run.resource("group-child")["inputs"]["tags"] == {"owner": "parent"}
    assert "tags" not in run.resource("plain")["inputs"]


def test_stack_resource_and_invoke_transforms_apply(preview):
    """register_resource_transform applies to every later resource; register_invoke_transform rewrites invoke args."""
    run = preview("transforms_stack")
    assert run.code == 0, run.stderr
    assert run.resource("rg")["options"]["protect"] is True
    assert run.doc["outputs"]["vnetName"] == "hub"


def test_remote_component_is_a_warning_or_with_strict_an_error(preview):
    """A multi-language component needs its provider; offline it is reported, never silently an empty shell."""
    run = preview("remote_component")
    assert run.code == 0
    assert any("remote (multi-language) component" in w for w in run.doc["warnings"])
    strict = preview("remote_component", args=["--strict"])
    assert strict.code == 2
    assert "remote (multi-language) component" in strict.stderr


def test_stack_reference_is_answered_from_another_stacks_preview(preview, tmp_path):
    """StackReference.get_output gives the referenced stack's output (FILE is that stack's `jit preview` JSON)."""
    network = preview("network_stack")
    assert network.code == 0
    exported = tmp_path / "network.json"
    exported.write_text(network.stdout)
    run = preview("stack_reference", args=["--stack-outputs", f"acme/network/prod={exported}"])
    assert run.code == 0, run.stderr
    assert run.doc["outputs"]["subnetId"] == network.doc["outputs"]["subnetId"]
    assert run.doc["outputs"]["subnetId"].endswith("/virtualNetworks/hub/subnets/app")


def test_stack_reference_without_outputs_is_unknown(preview):
    """Without the other stack's outputs a stack reference's outputs are unknown (with a warning saying why)."""
    run = preview("stack_reference")
    assert run.code == 0
    assert run.doc["outputs"]["subnetId"] == "[unknown]"
    assert any("acme/network/prod" in w for w in run.doc["warnings"])


def test_duplicate_urn_fails_with_the_cli_message(preview):
    """Two resources with one URN fail: `Duplicate resource URN '<urn>'; try giving it a unique name`."""
    run = preview("duplicate_urn")
    assert run.code == 2
    urn = "urn:pulumi:test::conformance::azure-native:resources:ResourceGroup::same"
    assert f"Duplicate resource URN '{urn}'; try giving it a unique name" in run.stderr


def test_object_config_is_compact_json(preview):
    """Object config reaches the program as compact JSON (`[{"host":"example","port":80}]`, config_basic)."""
    run = preview("object_config", config={"conformance:servers": [{"port": 80, "host": "example"}]})
    assert run.code == 0, run.stderr
    assert run.doc["outputs"]["text"] == '[{"host":"example","port":80}]'
    assert run.doc["outputs"]["object"] == [{"host": "example", "port": 80}]


def test_azure_native_location_config_is_the_default_location(preview):
    """azure-native fills `location` from its `location` config for resources that have one, never overriding."""
    run = preview("default_location", config={"azure-native:location": "westeurope"})
    assert run.code == 0, run.stderr
    assert run.resource("rg", RG)["inputs"]["location"] == "westeurope"
    assert run.resource("nsg")["inputs"]["location"] == "westeurope"
    assert "location" not in run.resource("rule")["inputs"]
    assert run.resource("pinned")["inputs"]["location"] == "northeurope"


def test_program_output_goes_to_stderr_when_the_report_is_on_stdout(preview):
    """A program's print() is program output, not the report: `--format json` on stdout stays valid JSON."""
    run = preview("prints")
    assert run.code == 0
    assert run.doc["outputs"] == {"done": True}
    assert "hello from the program" in run.stderr


def test_source_positions_name_the_constructing_line(preview):
    """Each resource records the program file and line that constructed it (the SDK's sourcePosition)."""
    run = preview("source_positions")
    assert run.code == 0
    top = line_of("source_positions", 'resources.ResourceGroup("top")')
    assert run.resource("top")["source"] == {"file": "__main__.py", "line": top}
    assert run.resource("box")["source"] == {"file": "__main__.py", "line": line_of("source_positions", 'Box("box")')}
    assert run.resource("box-rg")["source"] == {
        "file": "__main__.py",
        "line": line_of("source_positions", 'ResourceGroup(f"{name}-rg"'),
    }
    text = preview("source_positions", fmt="text")
    assert any(line.endswith(f"__main__.py:{top}") and " top " in line for line in text.stdout.splitlines())


def test_secret_outputs_are_masked(preview):
    """Secret values are never displayed: the CLI shows `[secret]`."""
    run = preview("secrets", config={"conformance:password": {"secure": "AAEAAQ=="}})
    assert run.code == 0, run.stderr
    assert run.doc["outputs"] == {"password": "[secret]", "plain": "visible"}


def test_resource_options_are_recorded(preview):
    """protect, retainOnDelete, ignoreChanges and dependsOn are part of the resource's goal state."""
    run = preview("options")
    assert run.code == 0, run.stderr
    # `first` reaches `second` through an input (tags), `anchor` only through depends_on.
    assert run.resource("second")["options"] == {
        "protect": True,
        "retainOnDelete": True,
        "ignoreChanges": ["tags"],
        "dependsOn": [run.resource("anchor")["urn"]],
    }


def test_program_exception_fails_naming_the_line(preview):
    """An unhandled exception fails the preview (exit 2) with the program's file and line, no traceback."""
    run = preview("program_error")
    assert run.code == 2
    line = line_of("program_error", "raise ValueError")
    assert f"__main__.py:{line}: ValueError: the network plan is missing" in run.stderr
    assert "Traceback" not in run.stderr


def test_logged_error_fails_the_preview(preview):
    """`pulumi.log.error` makes the CLI's preview fail even when the program does not raise."""
    run = preview("log_error")
    assert run.code == 2
    assert "quota exceeded for westeurope" in run.stderr


def test_component_urns_carry_the_parent_type_chain(preview):
    """A child's URN qualifies its type with every ancestor's type, leaving out the stack's."""
    run = preview("component_urns")
    assert run.code == 0
    assert run.resource("outer-inner-rg")["urn"] == (
        "urn:pulumi:test::conformance::conformance:index:Outer$conformance:index:Inner$"
        "azure-native:resources:ResourceGroup::outer-inner-rg"
    )
