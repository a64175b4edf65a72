"""Pulumi components for just-in-time VM access on Azure."""
