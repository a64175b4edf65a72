"""Pack conformance: each fixture pack is evaluated as `pulumi preview --policy-pack` documents it.

The scenario groups follow the Python packs of pulumi/pulumi-policy's tests/integration (enforcementlevel,
config, runtime_data, stack_tags, unknown_values, resource_options, provider, parent_dependencies,
validate_stack, remediation); the packs are our own, and each test's docstring states the CLI behaviour.
"""

import json

RG = "azure-native:resources:ResourceGroup"


def _probe(run, policy: str) -> dict[str, dict]:
    """Probe packs report what they saw as JSON after the policy description line; by resource name."""
    found = {}
    for violation in run.violations(policy):
        seen = json.loads(violation["message"].split("\n", 1)[1])
        found[seen.get("name") or violation["urn"].rsplit("::", 1)[-1]] = seen
    return found


def test_enforcement_levels_decide_the_exit_status(preview):
    """A mandatory violation fails the preview (exit 1); advisory ones are reported; disabled ones never run."""
    run = preview("bad_group", packs=["levels"])
    assert run.code == 1
    assert [(v["policy"], v["enforcement"]) for v in run.doc["violations"]] == [
        ("must", "mandatory"),
        ("should", "advisory"),
    ]
    assert all(v["urn"].endswith("::bad") for v in run.doc["violations"])


def test_policy_config_file_overrides_levels(preview, tmp_path):
    """--policy-pack-config sets levels: `all` first, then per policy (here `must` becomes advisory)."""
    config = tmp_path / "levels.json"
    config.write_text(json.dumps({"all": "advisory", "off": "mandatory"}))
    run = preview("bad_group", packs=["levels"], args=["--policy-config", config])
    assert run.code == 1  # `off` is now mandatory
    assert sorted((v["policy"], v["enforcement"]) for v in run.doc["violations"]) == [
        ("must", "advisory"),
        ("off", "mandatory"),
        ("should", "advisory"),
    ]


def test_config_schema_defaults_initial_config_and_user_config(preview, tmp_path):
    """A policy's config is its schema defaults, then the pack's initial_config, then the user's file."""
    run = preview("bad_group", packs=["config_schema"])
    assert run.code == 1  # initial_config maxTags=1 < 2 tags on each group
    assert len(run.violations("max-tags")) == 2
    config = tmp_path / "tags.json"
    config.write_text(json.dumps({"max-tags": {"maxTags": 2}}))
    assert preview("bad_group", packs=["config_schema"], args=["--policy-config", config]).code == 0
    config.write_text(json.dumps({"max-tags": {"maxTags": "two"}}))
    invalid = preview("bad_group", packs=["config_schema"], args=["--policy-config", config])
    assert invalid.code == 2
    assert "maxTags" in invalid.stderr


def test_pack_reads_stack_config_at_import_and_runtime_data(preview):
    """A pack runs with the stack's config, project and stack name, and `is_dry_run()` true in a preview."""
    run = preview("bad_group", packs=["runtime_data"], config={"conformance:team": "web"})
    assert run.code == 0, run.stderr
    message = run.violations("runtime")[0]["message"]
    assert "team=web dry_run=True project=conformance stack=test" in message


def test_stack_tags_reach_policies(preview):
    """Policies see the stack's tags (`args.stack_tags`), here given with --stack-tag."""
    run = preview(
        "bad_group",
        packs=["runtime_data"],
        config={"conformance:team": "web"},
        args=["--stack-tag", "env=prod", "--stack-tag", "owner=web-team"],
    )
    assert "tags=[('env', 'prod'), ('owner', 'web-team')]" in run.violations("runtime")[0]["message"]


def test_unknown_values_make_a_policy_advisory_during_preview(preview):
    """A policy reading a value unknown in preview is not run: an advisory "can't run policy ... during preview"."""
    run = preview("unknown_input", packs=["unknowns"])
    assert run.code == 0  # the policy is mandatory, but it could not run
    (violation,) = run.violations("endpoint-https")
    assert violation["enforcement"] == "advisory"
    assert "can't run policy 'endpoint-https' from policy pack 'unknowns@v1.0.0' during preview" in violation["message"]
    assert violation["urn"].endswith("ResourceGroup::tagged")


def test_remediations_rewrite_inputs_and_are_reported(preview):
    """A remediate-level policy's new properties replace the inputs (then validated); the CLI lists each remediation."""
    run = preview("bad_group", packs=["remediation"])
    assert run.code == 0, run.doc["violations"]
    assert run.doc["violations"] == []
    assert run.resource("bad")["inputs"]["tags"] == {"a": "1", "b": "2", "managed-by": "policy"}
    assert [(r["policy"], r["urn"].rsplit("::", 1)[-1]) for r in run.doc["remediations"]] == [
        ("managed-by", "bad"),
        ("managed-by", "good"),
    ]
    text = preview("bad_group", packs=["remediation"], fmt="text")
    assert "[remediate] remediation managed-by" in text.stdout


def test_resource_policies_receive_every_option(preview):
    """Resource policies get protect, ignoreChanges, deleteBeforeReplace, aliases (URNs), secret outputs, timeouts."""
    seen = _probe(preview("options", packs=["probe_options"]), "options")
    second = seen["second"]
    assert second["protect"] is True
    assert second["ignoreChanges"] == ["tags"]
    assert second["deleteBeforeReplace"] is True
    assert second["additionalSecretOutputs"] == ["location"]
    assert second["timeouts"] == [300, 0, 3600]  # create 5m, delete 1h, in seconds
    assert "urn:pulumi:test::conformance::azure-native:resources:ResourceGroup::old-second" in second["aliases"]
    assert seen["first"]["protect"] is False and seen["first"]["deleteBeforeReplace"] is None
    assert seen["first"]["parent"] == "urn:pulumi:test::conformance::pulumi:pulumi:Stack::conformance-test"


def test_resource_policies_receive_the_provider(preview):
    """A policy sees the resource's provider: the explicit one with its inputs, else the package's default."""
    seen = _probe(preview("explicit_provider", packs=["probe_options"]), "options")
    explicit = seen["by-explicit"]["provider"]
    assert explicit["type"] == "pulumi:providers:azure-native"
    assert explicit["name"] == "west"
    assert explicit["props"]["location"] == "westus3"
    default = seen["by-default"]["provider"]
    assert default["type"] == "pulumi:providers:azure-native"
    assert default["name"].startswith("default")


def test_stack_policies_see_parents_dependencies_and_property_dependencies(preview):
    """Stack policies get each resource's parent, dependencies and property dependencies as resources."""
    seen = _probe(preview("options", packs=["probe_links"]), "links")
    assert seen["first"] == {
        "name": "first",
        "parent": "pulumi:pulumi:Stack",
        "dependencies": [],
        "propertyDependencies": {},
    }
    assert seen["second"]["dependencies"] == ["anchor", "first"]
    assert seen["second"]["propertyDependencies"] == {"tags": ["first"]}


def test_violations_are_attributed_as_the_cli_does(preview):
    """Resource policies' violations go to the analyzed resource; stack policies' to the URN they name, or the stack."""
    run = preview("options", packs=["attribution"])
    attributed = sorted((v["policy"], (v["urn"] or "(stack)").rsplit("::", 1)[-1]) for v in run.doc["violations"])
    assert attributed == [("resource-level", "first"), ("stack-level", "(stack)"), ("stack-level", "second")]


def test_stack_policies_see_computed_state(preview):
    """Stack policies see resources' state: inputs plus what the provider computed (a principal id)."""
    run = preview("user_identity", packs=["stack_state"])
    (violation,) = run.violations("identities")
    principal = violation["message"].rsplit(" ", 1)[-1]
    assert len(principal) == 36 and principal.count("-") == 4
    assert violation["urn"].endswith("UserAssignedIdentity::app-id")
