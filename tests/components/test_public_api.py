"""The package's public API: every advertised name resolves, lazily."""

import subprocess
import sys

import pytest

import components


@pytest.mark.parametrize("name", components.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(components, name) is not None


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        components.Nope  # noqa: B018


def test_importing_the_vm_component_does_not_load_logic_apps_or_monitor():
    # azure-native puts lazy stubs for every module in sys.modules; the class files show what really loaded.
    code = ("import sys\nfrom components import JitProtectedVm\n"
            "print(sorted(m for m in sys.modules if m.startswith('pulumi_azure_native.')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'pulumi_azure_native.network.security_rule'" in loaded
    assert "'pulumi_azure_native.logic.workflow'" not in loaded
    assert "'pulumi_azure_native.monitor.action_group'" not in loaded
