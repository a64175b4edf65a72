"""The engine's SDK patches apply only on tested pulumi versions; otherwise the SDK's own behaviour is kept."""

import pytest
from pulumi.runtime import resource, stack
from pulumi_azure_native import resources

from azure_jit_access.cli.preview import runtime_patches
from azure_jit_access.cli.preview.engine import run_inline


@pytest.mark.parametrize(
    ("version", "tested"),
    [("3.272.0", True), ("3.272.5", True), ("3.273.0", False), ("3.200.1", False), ("4.0.0", False)],
)
def test_tested_version_range(version, tested):
    assert runtime_patches.is_tested_version(version) is tested


def _program():
    resources.ResourceGroup("rg", location="westeurope")  # the line the source position must name


LINE = _program.__code__.co_firstlineno + 1


def test_on_a_tested_version_the_patches_are_installed():
    assert runtime_patches.is_tested_version()  # the pinned SDK of this project
    result = run_inline(_program)
    assert stack.wait_for_rpcs is runtime_patches.wait_until_quiet
    assert resource._get_stack_trace is runtime_patches._one_frame_stack_trace
    source = result.one("azure-native:resources:ResourceGroup").source
    assert source["file"].endswith("test_runtime_patches.py") and source["line"] == LINE


def test_on_an_untested_version_the_sdk_functions_stay(monkeypatch):
    monkeypatch.setattr(runtime_patches, "installed_version", lambda: "9.0.0")
    try:
        result = run_inline(_program)
        assert stack.wait_for_rpcs is runtime_patches._ORIGINALS["wait_for_rpcs"]
        assert resource._get_stack_trace is runtime_patches._ORIGINALS["_get_stack_trace"]
        # Same results through the SDK's own code: the resource and its position (from the SDK's stack trace).
        group = result.one("azure-native:resources:ResourceGroup")
        assert group.inputs == {"location": "westeurope"}
        assert group.source["line"] == LINE
    finally:
        monkeypatch.undo()
        runtime_patches.install()
