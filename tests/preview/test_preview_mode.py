"""Preview mode (the CLI's) against update mode (component tests)."""

import pulumi
from pulumi_azure_native import storage

from azure_jit_access.cli.preview.engine import run_inline


def _program(seen: list):
    account = storage.StorageAccount("site", resource_group_name="rg", kind="StorageV2", sku={"name": "Standard_LRS"})
    account.primary_endpoints.apply(seen.append)
    pulumi.export("web", account.primary_endpoints.apply(lambda e: e and e.web))
    pulumi.export("id", account.id)


def test_preview_leaves_unmodelled_outputs_unknown_and_skips_their_apply():
    seen = []
    result = run_inline(lambda: _program(seen), preview=True)
    assert seen == []
    assert result.outputs["web"] == "[unknown]"
    assert result.outputs["id"].endswith("/providers/Microsoft.Storage/storageAccounts/site")


def test_update_mode_runs_every_apply():
    seen = []
    run_inline(lambda: _program(seen), preview=False)
    assert seen == [None]
