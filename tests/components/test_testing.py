"""azure_jit_access.testing: the public way to run components under the mock engine in tests."""

from pathlib import Path

import pytest

from azure_jit_access import testing
from azure_jit_access.defender import DefenderForServers

ROOT = Path(__file__).resolve().parents[2]
PRICING = "azure-native:security:Pricing"


def test_run_records_resources_by_type_and_name_with_camel_case_inputs():
    result = testing.run(lambda: DefenderForServers("defender"))
    pricing = result.one(PRICING)
    assert pricing.inputs["pricingTier"] == "Standard"
    assert pricing.inputs["subPlan"] == "P2"
    assert testing.inputs_by_name(result, PRICING) == {pricing.name: pricing.inputs}


def test_run_passes_config_and_stack():
    result = testing.run(lambda: DefenderForServers("defender"), stack="prod", config={"azure-native:location": "x"})
    assert result.stack == "prod"
    assert result.one(PRICING).urn.startswith("urn:pulumi:prod::azure-jit-access::")


def test_program_errors_propagate():
    def broken():
        raise RuntimeError("bad program")

    with pytest.raises(RuntimeError, match="bad program"):
        testing.run(broken)


def test_evaluate_policies_runs_a_pack_on_a_run(tmp_path):
    result = testing.run_project_folder(ROOT, "dev")
    assert testing.evaluate_policies(result, ROOT / "policies") == []
    assert result.violations == []
