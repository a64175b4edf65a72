"""The offline preview engine behind `jit preview`."""
