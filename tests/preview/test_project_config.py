"""Reading Pulumi.yaml and Pulumi.<stack>.yaml like the Pulumi CLI."""

import json

import pytest

from azure_jit_access.cli.main import main
from azure_jit_access.cli.preview.project_config import ConfigError, load_project, secret_placeholder


def write_project(folder, stack_yaml="", project_extra=""):
    (folder / "Pulumi.yaml").write_text(f"name: demo\nruntime: python\n{project_extra}")
    (folder / "__main__.py").write_text("import pulumi\n")
    if stack_yaml is not None:
        (folder / "Pulumi.dev.yaml").write_text(stack_yaml)
    return folder


def test_plain_values_objects_lists_and_provider_keys(tmp_path):
    write_project(
        tmp_path,
        """config:
  demo:size: Standard_B2s
  demo:count: 3
  demo:enabled: true
  demo:ports: [22, 3389]
  demo:vm: {name: web, tags: {env: dev}}
  azure-native:location: westeurope
  plainKey: value
""",
    )
    project = load_project(tmp_path, "dev")
    assert project.project == "demo"
    assert project.config["demo:size"] == "Standard_B2s"
    assert project.config["demo:count"] == "3"
    assert project.config["demo:enabled"] == "true"
    assert json.loads(project.config["demo:ports"]) == [22, 3389]
    assert json.loads(project.config["demo:vm"]) == {"name": "web", "tags": {"env": "dev"}}
    assert project.config["azure-native:location"] == "westeurope"
    assert project.config["demo:plainKey"] == "value"
    assert project.secret_keys == []


def test_secure_values_become_secret_placeholders(tmp_path):
    write_project(
        tmp_path,
        "config:\n  demo:password:\n    secure: v1:abc:def\n  demo:nested: {user: admin, token: {secure: v1:x}}\n",
    )
    project = load_project(tmp_path, "dev")
    assert project.config["demo:password"] == secret_placeholder("demo:password")
    assert json.loads(project.config["demo:nested"])["token"] == secret_placeholder("demo:nested")
    assert project.secret_keys == ["demo:nested", "demo:password"]


def test_overrides_win_and_get_the_project_namespace(tmp_path):
    write_project(tmp_path, "config:\n  demo:size: small\n  demo:secret: {secure: v1:x}\n")
    project = load_project(tmp_path, "dev", ["size=large", "azure-native:location=westus3", "demo:secret=plain"])
    assert project.config["demo:size"] == "large"
    assert project.config["azure-native:location"] == "westus3"
    assert "demo:secret" not in project.secret_keys


def test_project_level_defaults_apply_unless_the_stack_sets_them(tmp_path):
    write_project(
        tmp_path,
        "config:\n  demo:b: from-stack\n",
        "config:\n  a:\n    type: string\n    default: from-project\n  b:\n    default: ignored\n",
    )
    project = load_project(tmp_path, "dev")
    assert project.config["demo:a"] == "from-project"
    assert project.config["demo:b"] == "from-stack"


@pytest.mark.parametrize(
    ("stack_yaml", "expected"),
    [
        ("config:\n  demo:a: [1, 2\n", "Pulumi.dev.yaml: not valid YAML (line"),
        ("config: [1, 2]\n", "`config` must be a mapping"),
        ("- just a list\n", "expected a mapping with a `config` section"),
    ],
)
def test_broken_stack_files_name_the_file_and_problem(tmp_path, stack_yaml, expected):
    write_project(tmp_path, stack_yaml)
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace("[", r"\[")):
        load_project(tmp_path, "dev")


def test_bad_override_and_missing_project_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="no Pulumi.yaml here"):
        load_project(tmp_path, "dev")
    write_project(tmp_path, "")
    with pytest.raises(ConfigError, match="expected KEY=VALUE"):
        load_project(tmp_path, "dev", ["novalue"])


def test_non_python_runtime_is_refused(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: demo\nruntime: nodejs\n")
    with pytest.raises(ConfigError, match="runs Python programs only"):
        load_project(tmp_path, "dev")


def test_bad_yaml_exits_2_with_a_message_naming_the_file(tmp_path, capsys):
    write_project(tmp_path, "config:\n  demo:a: {unclosed\n")
    assert main(["preview", "--program", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.dev.yaml: not valid YAML" in err
    assert "Traceback" not in err
