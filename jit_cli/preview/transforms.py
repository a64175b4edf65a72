"""Running a program's transforms the way the Pulumi engine does, in-process.

The engine, not the SDK, applies transforms: a resource's own (`ResourceOptions(transforms=...)`), then its
parent's, grandparent's and so on, then the stack transforms (`pulumi.runtime.register_resource_transform`),
each seeing the previous one's result; invoke transforms (`register_invoke_transform`) rewrite an invoke's
arguments before the provider sees them. The SDK registers each transform as a callback on its callback
server; the engine calls it back with a `TransformRequest`. Here the same callback is awaited on the
program's event loop from the monitor's worker thread, so the SDK's own conversions are used unchanged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

CALLBACK_TIMEOUT_SECONDS = 120


def _callback(token: str):
    from pulumi.runtime._callbacks import _CallbackServicer

    for servicer in _CallbackServicer._servicers:
        function = servicer._callbacks.get(token)
        if function is not None:
            return servicer, function
    raise RuntimeError(f"transform callback {token!r} is not registered with the program")


def _call(token: str, request_bytes: bytes):
    servicer, function = _callback(token)
    future = asyncio.run_coroutine_threadsafe(function(request_bytes), servicer._loop)
    return future.result(timeout=CALLBACK_TIMEOUT_SECONDS)


def _options(request):
    from pulumi.runtime.proto import resource_pb2

    options = resource_pb2.TransformResourceOptions(
        depends_on=list(request.dependencies),
        protect=request.protect,
        ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        version=request.version,
        provider=request.provider,
        plugin_download_url=request.pluginDownloadURL,
        delete_before_replace=request.deleteBeforeReplace,
        additional_secret_outputs=list(request.additionalSecretOutputs),
    )
    options.aliases.extend(request.aliases)
    if request.HasField("customTimeouts"):
        options.custom_timeouts.CopyFrom(request.customTimeouts)
    if request.HasField("retainOnDelete"):
        options.retain_on_delete = request.retainOnDelete
    for key, value in request.providers.items():
        options.providers[key] = value
    return options


def _apply_options(request, options) -> None:
    del request.dependencies[:]
    request.dependencies.extend(options.depends_on)
    request.protect = options.protect
    del request.ignoreChanges[:]
    request.ignoreChanges.extend(options.ignore_changes)
    del request.replaceOnChanges[:]
    request.replaceOnChanges.extend(options.replace_on_changes)
    request.version = options.version
    request.provider = options.provider
    request.deleteBeforeReplace = options.delete_before_replace
    request.deleteBeforeReplaceDefined = request.deleteBeforeReplaceDefined or options.delete_before_replace
    del request.additionalSecretOutputs[:]
    request.additionalSecretOutputs.extend(options.additional_secret_outputs)
    del request.aliases[:]
    request.aliases.extend(options.aliases)
    if options.HasField("custom_timeouts"):
        request.customTimeouts.CopyFrom(options.custom_timeouts)
    if options.HasField("retain_on_delete"):
        request.retainOnDelete = options.retain_on_delete


def transform_resource(request, tokens: Iterable[str]):
    """A copy of the `RegisterResourceRequest` with each transform (by callback token) applied in order."""
    from pulumi.runtime.proto import resource_pb2

    tokens = list(tokens)
    if not tokens:
        return request
    changed = resource_pb2.RegisterResourceRequest()
    changed.CopyFrom(request)
    for token in tokens:
        transform_request = resource_pb2.TransformRequest(
            type=changed.type,
            name=changed.name,
            custom=changed.custom,
            parent=changed.parent,
            properties=changed.object,
            options=_options(changed),
        )
        response = _call(token, transform_request.SerializeToString())  # a TransformResponse
        if response.HasField("properties"):
            changed.object.CopyFrom(response.properties)
        if response.HasField("options"):
            _apply_options(changed, response.options)
    return changed


def transform_invoke(request, tokens: Iterable[str]):
    """A copy of the `ResourceInvokeRequest` with each stack invoke transform applied in order."""
    from pulumi.runtime.proto import resource_pb2

    tokens = list(tokens)
    if not tokens:
        return request
    changed = resource_pb2.ResourceInvokeRequest()
    changed.CopyFrom(request)
    for token in tokens:
        transform_request = resource_pb2.TransformInvokeRequest(
            token=changed.tok,
            args=changed.args,
            options=resource_pb2.TransformInvokeOptions(provider=changed.provider, version=changed.version),
        )
        response = _call(token, transform_request.SerializeToString())  # a TransformInvokeResponse
        if response.HasField("args"):
            changed.args.CopyFrom(response.args)
        if response.HasField("options"):
            changed.provider = response.options.provider
            changed.version = response.options.version
    return changed
