"""The azure-jit-guardrails policy pack. The policies live in `jit_guardrails`; this file only serves them."""

from pulumi_policy import EnforcementLevel, PolicyPack

from jit_guardrails import PACK_NAME, all_policies

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=all_policies())
