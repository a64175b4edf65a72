"""Builds a remote (multi-language) component, whose provider would construct its children."""

import pulumi


class Remote(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("mlc:index:Cluster", name, {"size": 3}, None, remote=True)


Remote("cluster")
