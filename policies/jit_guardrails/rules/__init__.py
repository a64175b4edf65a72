"""The rules core: every security rule of azure-jit-access, written once.

Dependency-free (standard library only) so that the policy pack stays self-contained: the pack imports it as
`jit_guardrails.rules`, the library as `azure_jit_access.rules`. Modules here import each other relatively.
"""
