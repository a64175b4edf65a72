"""The package's public API: every advertised name resolves, lazily."""

import subprocess
import sys

import pytest

import azure_jit_access as components


@pytest.mark.parametrize("name", components.__all__)
def test_every_exported_name_resolves(name):
    assert getattr(components, name) is not None


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        components.Nope  # noqa: B018


def test_importing_the_vm_component_does_not_load_the_workflow_or_audit_modules():
    code = (
        "import sys\nfrom azure_jit_access import JitProtectedVm\n"
        "print(sorted(m for m in sys.modules if m.startswith('azure_jit_access.')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "'azure_jit_access.vm'" in loaded
    assert "'azure_jit_access.approval.component'" not in loaded
    assert "'azure_jit_access.audit'" not in loaded
