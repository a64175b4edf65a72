"""Judge hand-made resources with the real pack, through pulumi-policy's own analyzer (proxies, config, levels)."""

from pathlib import Path

import pytest

from azure_jit_access.cli.preview.model import Resource
from azure_jit_access.cli.preview.packs import evaluate_packs, load_pack

PACK_DIR = Path(__file__).resolve().parents[2] / "policies"


@pytest.fixture(scope="session")
def pack():
    return load_pack(PACK_DIR)


@pytest.fixture
def make():
    """`make(type, name, inputs, protect=False, outputs=None, parent=None, depends_on=())` -> a Resource."""

    def make(type_, name, inputs, protect=False, outputs=None, parent=None, depends_on=()):
        urn = f"urn:pulumi:test::guardrails::{type_}::{name}"
        return Resource(
            urn=urn,
            type=type_,
            name=name,
            parent=parent,
            inputs=inputs,
            options={"protect": protect, "dependsOn": list(depends_on)},
            # Like the engine: state is the inputs plus what the provider computed.
            outputs={**inputs, **outputs} if outputs else {},
        )

    return make


@pytest.fixture
def judge(pack):
    """`judge(*resources, policy=None, config=None)` -> [(policy, enforcement, detail)] of the violations.

    `detail` is the message without the policy description pulumi-policy puts in front of it (the fix and docs
    link are policy metadata shown beside the message by the renderers; `test_pack.py` checks those).
    """

    def judge(*resources, policy=None, config=None):
        found = []
        for v in evaluate_packs([pack], list(resources), config):
            if policy is None or v.policy == policy:
                detail = v.message.split("\n", 1)[1] if "\n" in v.message else v.message
                found.append((v.policy, v.enforcement, detail))
        return found

    return judge
