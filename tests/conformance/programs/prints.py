"""Prints to stdout while it runs."""

import pulumi

print("hello from the program")
pulumi.export("done", True)
