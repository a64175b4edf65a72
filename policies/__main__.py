"""The azure-jit-guardrails policy pack. The policies live in `jit_guardrails`; this file only serves them."""

from jit_guardrails import PACK_NAME, all_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=all_policies())
