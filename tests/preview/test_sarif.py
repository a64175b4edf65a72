"""`jit preview --format sarif`: a SARIF 2.1.0 log that GitHub code scanning accepts.

Validated with check-jsonschema against the OASIS SARIF 2.1.0 schema vendored in tests/fixtures/sarif (source in
SOURCE.md). GitHub's SARIF support page (docs.github.com, "SARIF support for code scanning") documents
`helpUri`, `properties.security-severity` and `partialFingerprints`.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from azure_jit_access.cli.main import main
from azure_jit_access.cli.preview.model import PreviewResult, Resource, Violation
from azure_jit_access.cli.preview.sarif import PolicyInfo, docs_uri, literal_lines, to_sarif
from jit_guardrails import policy_names

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
PROGRAM = ROOT / "tests" / "fixtures" / "bad_programs" / "lb_public_nat_to_ssh"


def validate(path: Path) -> subprocess.CompletedProcess:
    checker = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run([str(checker), "--schemafile", str(SCHEMA), str(path)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def sarif_log(tmp_path_factory):
    out = tmp_path_factory.mktemp("sarif") / "preview.sarif"
    status = main(
        [
            "preview",
            "--program",
            str(PROGRAM),
            "--policy-pack",
            str(ROOT / "policies"),
            "--format",
            "sarif",
            "--output",
            str(out),
        ]
    )
    return status, out


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(sarif_log):
    status, out = sarif_log
    done = validate(out)
    assert (status, done.returncode) == (1, 0), done.stdout + done.stderr


def test_one_rule_per_policy_with_docs_and_severity(sarif_log):
    run = json.loads(sarif_log[1].read_text())["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    assert list(rules) == policy_names()
    nat = rules["lb-no-public-management-nat"]
    assert nat["defaultConfiguration"]["level"] == "error"
    assert nat["properties"]["security-severity"] == "8.0"
    assert nat["helpUri"].endswith("/docs/policies.md#lb-no-public-management-nat")
    assert rules["jit-policy-allowed-ports"]["defaultConfiguration"]["level"] == "warning"
    assert nat["shortDescription"]["text"].startswith("A load balancer inbound NAT rule or pool must not")


def test_results_name_the_policy_the_resource_and_the_program(sarif_log):
    run = json.loads(sarif_log[1].read_text())["runs"][0]
    (result,) = run["results"]
    assert result["ruleId"] == "lb-no-public-management-nat" and result["level"] == "error"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    location = result["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"].endswith("azure-native:network:LoadBalancer::web-lb")
    assert result["message"]["text"].startswith("Load balancer 'web-lb' inboundNatRules[0] ('ssh-vm1')")
    lines = (PROGRAM / "__main__.py").read_text().splitlines()
    line = location["physicalLocation"]["region"]["startLine"]
    if "the engine recorded no source line" in result["message"]["text"]:
        assert lines[line - 1].strip() == '"web-lb",'  # the line quoting the logical name
    else:  # an engine that records source positions points into the constructor call
        start = next(i for i, text in enumerate(lines, start=1) if "network.LoadBalancer(" in text)
        end = next(i for i, text in enumerate(lines, start=1) if i > start and text.startswith(")"))
        assert start <= line <= end
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("lb_public_nat_to_ssh/__main__.py")


def _result_with(resource, program, tmp_path, urn="urn:r"):
    violation = Violation("pack", "some-policy", "mandatory", urn, "Description.\nDetail.")
    preview = PreviewResult("p", "dev", resources=[resource] if resource else [], violations=[violation])
    info = PolicyInfo("pack", "some-policy", "Description.", "mandatory", "https://example.com/docs#some-policy")
    return to_sarif(preview, [info], program, root=tmp_path)


def test_the_source_line_recorded_by_the_engine_locates_the_result(tmp_path):
    program = tmp_path / "__main__.py"
    resource = Resource(urn="urn:r", type="t", name="n")
    resource.source = {"file": "lib/network.py", "line": 42}  # as the engine records it: relative to the program
    (result,) = _result_with(resource, program, tmp_path)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "lib/network.py"},
        "region": {"startLine": 42},
    }
    resource.source = {"file": str(tmp_path / "elsewhere.py"), "line": 3}  # absolute: outside the program folder
    (result,) = _result_with(resource, program, tmp_path)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "elsewhere.py"
    assert result["message"]["text"] == "Detail."


def test_without_a_source_line_the_entry_point_stands_in_and_says_so(tmp_path):
    program = tmp_path / "__main__.py"
    (result,) = _result_with(Resource(urn="urn:r", type="t", name="n"), program, tmp_path)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "__main__.py"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 1
    assert result["message"]["text"].endswith("line 1 of the program stands in.)")
    (stack,) = _result_with(None, program, tmp_path, urn=None)["runs"][0]["results"]
    assert "The whole stack was judged" in stack["message"]["text"]


def test_a_hand_made_log_also_validates(tmp_path):
    program = tmp_path / "__main__.py"
    resource = Resource(urn="urn:r", type="t", name="n")
    resource.source = {"file": str(program), "line": 7}
    path = tmp_path / "log.sarif"
    path.write_text(json.dumps(_result_with(resource, program, tmp_path)))
    assert validate(path).returncode == 0


def test_help_uri_in_github_actions_points_at_the_commit(monkeypatch):
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "contoso/azure-jit-access")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    assert docs_uri("vm-has-nsg", ROOT / "policies") == (
        "https://github.com/contoso/azure-jit-access/blob/abc123/docs/policies.md#vm-has-nsg"
    )
    assert docs_uri("vm-has-nsg", None, "https://docs.example.com/x") == "https://docs.example.com/x"


def test_literal_lines_find_the_first_quote_of_each_name(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text('import x\n\nx.Nsg(\n    "web-nsg",\n    name="web-nsg",\n)\n')
    (tmp_path / "network.py").write_text("x.Rule('allow-ssh')\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "lib.py").write_text("'hidden'\n")
    found = literal_lines(program)
    assert found["web-nsg"] == (program, 4)
    assert found["allow-ssh"] == (tmp_path / "network.py", 1)
    assert "hidden" not in found
    resource = Resource(urn="urn:r", type="t", name="allow-ssh")
    (result,) = _result_with(resource, program, tmp_path)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "network.py"},
        "region": {"startLine": 1},
    }
    assert result["message"]["text"].endswith("the engine recorded no source line.)")
