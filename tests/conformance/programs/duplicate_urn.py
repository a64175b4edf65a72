"""Declares two resources with the same type and name."""

from pulumi_azure_native import resources

resources.ResourceGroup("same")
resources.ResourceGroup("same")
