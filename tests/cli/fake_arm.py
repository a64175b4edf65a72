"""A fake Azure Resource Manager for the JIT API (2020-01-01), served over TLS on 127.0.0.1.

The requester commands run their real code (azure-identity types, azure-mgmt-security, azure-core's
pipeline with its https-only bearer-token policy) against it. The server has its own CA; tests trust it
through REQUESTS_CA_BUNDLE, the standard knob of azure-core's requests transport, so the client code
path is the production one. Bodies follow the REST spec's examples (JitNetworkAccessPolicies/*.json),
including ARM error bodies for 400, 401, 403 and 404.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import io
import ipaddress
import json
import re
import ssl
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from azure.core.credentials import AccessToken
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from azure_jit_access.cli.main import build_parser
from azure_jit_access.cli.requester.runtime import Runtime
from azure_jit_access.cli.requester.transport import NetworkLimits

SUB = "20ff7fc3-e762-44dd-bd96-b71116dcdc23"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
NOW = dt.datetime(2025, 3, 1, 9, 0, 0, tzinfo=dt.timezone.utc)
CALLER = "barbara@contoso.com"
JIT_API = "2020-01-01"
FAST_LIMITS = NetworkLimits(
    connect_timeout=2.0,
    read_timeout=2.0,
    retries=2,
    backoff=0.01,
    backoff_max=0.05,
    retry_after_cap=0.05,
    operation_timeout=10.0,
    page_limit=5,
)
"""The production limits' shape with waits a test can afford (azure-core's retry sleeps are real)."""


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def make_token(**claims: Any) -> str:
    """An unsigned JWT-shaped access token (the fake server only compares it; revoke reads its claims)."""
    body = {
        "aud": "https://management.azure.com/",
        "tid": TENANT,
        "upn": CALLER,
        "oid": "a7dd2a4e-7f24-4b6c-9d3b-2f7b4c0e9f11",
        **claims,
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(body)}.c2ln"


TOKEN = make_token()


class FixedTokenCredential:
    """A TokenCredential that always returns the same token and records the scopes asked for."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.requests: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self.built_for: list[tuple[str, str | None]] = []
        """(cloud name, tenant) of every time the runtime asked for this credential."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requests.append((scopes, kwargs))
        # expires_on is compared with the real clock by azure-core, not with the test's fixed one.
        return AccessToken(self.token, int(dt.datetime.now(dt.timezone.utc).timestamp()) + 3600)


def vm_id(name: str, group: str = "myRg1") -> str:
    """The ARM id of a VM in the fake subscription."""
    return f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Compute/virtualMachines/{name}"


def port_rule(number: int, sources: str | list[str] = "*", max_duration: str = "PT3H", protocol: str = "*") -> dict:
    """A JitNetworkAccessPortRule body."""
    rule: dict[str, Any] = {"number": number, "protocol": protocol, "maxRequestAccessDuration": max_duration}
    rule["allowedSourceAddressPrefixes" if isinstance(sources, list) else "allowedSourceAddressPrefix"] = sources
    return rule


def request_body(
    vm: str,
    port: int,
    source: str,
    end: str,
    status: str = "Initiated",
    reason: str = "UserRequested",
    requestor: str = CALLER,
    start: str = "2025-03-01T08:30:00.1234567Z",
    justification: str = "testing a new version of the product",
) -> dict:
    """A JitNetworkAccessRequest body as GET returns it in `properties.requests`."""
    return {
        "virtualMachines": [
            {
                "id": vm,
                "ports": [
                    {
                        "number": port,
                        "allowedSourceAddressPrefix": source,
                        "endTimeUtc": end,
                        "status": status,
                        "statusReason": reason,
                    }
                ],
            }
        ],
        "startTimeUtc": start,
        "requestor": requestor,
        "justification": justification,
    }


def _azure_time(text: str) -> str:
    # Azure answers with 7 fractional digits whatever was sent.
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f0Z")


def arm_error(status: int, code: str, message: str) -> Response:
    """An ARM error response (CloudError shape)."""
    return Response(
        json.dumps({"error": {"code": code, "message": message}}),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def policy_document(
    vms: list[tuple[str, list[dict]]],
    group: str = "myRg1",
    location: str = "westeurope",
    name: str = "default",
    requests: list[dict] | None = None,
    firewall_ip: str | None = None,
) -> dict:
    """A JitNetworkAccessPolicy body as GET returns it (GetJitNetworkAccessPolicy_example.json)."""
    policy_id = (
        f"/subscriptions/{SUB}/resourceGroups/{group}/providers/Microsoft.Security/locations/"
        f"{location}/jitNetworkAccessPolicies/{name}"
    )
    machines = [
        {"id": vm, "ports": ports, **({"publicIpAddress": firewall_ip} if firewall_ip else {})} for vm, ports in vms
    ]
    return {
        "kind": "Basic",
        "id": policy_id,
        "name": name,
        "type": "Microsoft.Security/locations/jitNetworkAccessPolicies",
        "location": location,
        "properties": {"virtualMachines": machines, "requests": list(requests or []), "provisioningState": "Succeeded"},
    }


def policy_body(vm: str) -> dict:
    """The conftest's policy for one VM: port 22 from anywhere for up to 3 hours."""
    return policy_document([(vm, [port_rule(22, "*", "PT3H")])])


@dataclass
class Call:
    """One request the fake server received."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


@dataclass
class FakeArm:
    """State and behaviour of the fake ARM: policies, resources, recorded calls, injected failures."""

    url: str
    policies: dict[str, dict] = field(default_factory=dict)
    resources: dict[str, dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    failures: list[tuple[str, re.Pattern, Response]] = field(default_factory=list)
    faults: list[list[Any]] = field(default_factory=list)
    """[method, path pattern, behaviour (Request -> Response), times left] (see tests/cli/faults.py)."""
    ip_answer: str = "20.61.15.9"
    """What GET /ip (the `--source me` lookup) answers: a public IPv4 (documentation ranges are not global)."""
    polls_before_visible: int = 0
    """GETs of a policy after an initiate before the new request shows up (JIT takes a moment)."""
    replaces_older: bool = True
    """Whether a newer request revokes older ones on the same VM and port (NewerRequestInitiated)."""
    _pending: list[tuple[str, dict, int]] = field(default_factory=list)

    def add_policy(
        self,
        vms: list[tuple[str, list[dict]]],
        group: str = "myRg1",
        location: str = "westeurope",
        name: str = "default",
        requests: list[dict] | None = None,
        firewall_ip: str | None = None,
    ) -> dict:
        """Add a JIT policy holding `vms` [(vm id, port rules)] and past `requests`."""
        policy = policy_document(vms, group, location, name, requests, firewall_ip)
        policy_id = policy["id"]
        self.policies[policy_id.lower()] = policy
        return policy

    def add_vm_network(
        self, vm: str, public_ip: str | None, private_ip: str = "10.0.0.4", admin: str = "azureuser"
    ) -> None:
        """VM, NIC and public IP resources, for the connection hint."""
        base = vm.split("/providers/")[0]
        name = vm.rsplit("/", 1)[-1]
        nic = f"{base}/providers/Microsoft.Network/networkInterfaces/{name}-nic"
        pip = f"{base}/providers/Microsoft.Network/publicIPAddresses/{name}-pip"
        config: dict[str, Any] = {"privateIPAddress": private_ip, "primary": True}
        if public_ip:
            config["publicIPAddress"] = {"id": pip}
            self.resources[pip.lower()] = {"id": pip, "properties": {"ipAddress": public_ip}}
        self.resources[vm.lower()] = {
            "id": vm,
            "properties": {
                "osProfile": {"adminUsername": admin, "computerName": name},
                "networkProfile": {"networkInterfaces": [{"id": nic, "properties": {"primary": True}}]},
            },
        }
        self.resources[nic.lower()] = {
            "id": nic,
            "properties": {"ipConfigurations": [{"name": "ipconfig1", "properties": config}]},
        }

    def fail(self, method: str, path_pattern: str, status: int, code: str, message: str) -> None:
        """Answer the next matching request with an ARM error (once)."""
        self.failures.append((method, re.compile(path_pattern, re.IGNORECASE), arm_error(status, code, message)))

    def inject(self, method: str, path_pattern: str, behaviour: Any, times: int = 1) -> None:
        """Answer the next `times` matching requests with `behaviour(request)` (a fault from faults.py)."""
        self.faults.append([method, re.compile(path_pattern, re.IGNORECASE), behaviour, times])

    def initiate_bodies(self) -> list[Any]:
        """The JSON bodies of every `initiate` received, in order."""
        return [call.body for call in self.calls if call.path.endswith("/initiate")]

    def arm_calls(self) -> list[tuple[str, str]]:
        """(method, path) of every ARM call (not the IP lookup)."""
        return [(call.method, call.path) for call in self.calls if call.path.startswith("/subscriptions/")]

    # --- request handling -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        body = json.loads(request.get_data() or b"null")
        self.calls.append(
            Call(request.method, request.path, dict(request.args), body, request.headers.get("Authorization"))
        )
        if request.path == "/ip":
            return Response(self.ip_answer, content_type="text/plain")
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        for index, (method, pattern, response) in enumerate(self.failures):
            if method == request.method and pattern.search(request.path):
                del self.failures[index]
                return response
        for fault in self.faults:
            if fault[3] > 0 and fault[0] == request.method and fault[1].search(request.path):
                fault[3] -= 1
                return fault[2](request)
        return self._route(request.method, request.path, request.args.get("api-version"), body)

    def _route(self, method: str, path: str, api_version: str | None, body: Any) -> Response:
        lowered = path.lower()
        if lowered.endswith("/initiate") and method == "POST":
            return self._initiate(lowered.removesuffix("/initiate"), body, api_version)
        if "/providers/microsoft.security/" in lowered:
            if api_version != JIT_API:
                return arm_error(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is invalid.")
            if lowered.endswith("/jitnetworkaccesspolicies"):
                return self._list(lowered)
            return self._get_policy(lowered)
        if lowered in self.resources and method == "GET":
            return Response(json.dumps(self.resources[lowered]), content_type="application/json")
        return arm_error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")

    def _list(self, lowered: str) -> Response:
        if not lowered.startswith(f"/subscriptions/{SUB}/"):
            return arm_error(404, "SubscriptionNotFound", "The subscription could not be found.")
        group = re.search(r"/resourcegroups/([^/]+)/", lowered)
        found = [p for key, p in self.policies.items() if not group or f"/resourcegroups/{group.group(1)}/" in key]
        if group and not found:
            return arm_error(404, "ResourceGroupNotFound", f"Resource group '{group.group(1)}' could not be found.")
        return Response(json.dumps({"value": found}), content_type="application/json")

    def _get_policy(self, lowered: str) -> Response:
        policy = self.policies.get(lowered)
        if policy is None:
            return arm_error(404, "NotFound", "The requested JIT network access policy was not found.")
        still_pending = []
        for key, request, polls in self._pending:
            if key == lowered and polls <= 0:
                self._make_visible(policy, request)
            else:
                still_pending.append((key, request, polls - 1 if key == lowered else polls))
        self._pending = still_pending
        return Response(json.dumps(policy), content_type="application/json")

    def _make_visible(self, policy: dict, request: dict) -> None:
        opened = {(vm["id"].lower(), port["number"]) for vm in request["virtualMachines"] for port in vm["ports"]}
        if self.replaces_older:
            for older in policy["properties"]["requests"]:
                for vm in older["virtualMachines"]:
                    for port in vm["ports"]:
                        if (vm["id"].lower(), port["number"]) in opened and port["status"] == "Initiated":
                            port.update(status="Revoked", statusReason="NewerRequestInitiated")
        policy["properties"]["requests"].append(request)

    def _initiate(self, policy_key: str, body: dict, api_version: str | None) -> Response:
        if api_version != JIT_API:
            return arm_error(400, "InvalidApiVersionParameter", f"The api-version '{api_version}' is invalid.")
        policy = self.policies.get(policy_key)
        if policy is None:
            return arm_error(404, "NotFound", "The requested JIT network access policy was not found.")
        machines = policy["properties"]["virtualMachines"]
        rules = {vm["id"].lower(): {p["number"]: p for p in vm["ports"]} for vm in machines}
        ports_out = []
        for vm in body.get("virtualMachines", []):
            if vm["id"].lower() not in rules:
                return arm_error(400, "InvalidInitiateInput", f"Virtual machine {vm['id']} is not in the policy.")
            for port in vm["ports"]:
                if ("endTimeUtc" in port) == ("duration" in port):
                    return arm_error(400, "InvalidInitiateInput", "Exactly one of endTimeUtc or duration must be set.")
                rule = rules[vm["id"].lower()].get(port["number"])
                if rule is None:
                    return arm_error(400, "InvalidInitiateInput", f"Port {port['number']} is not in the policy.")
                error = _source_error(rule, port.get("allowedSourceAddressPrefix"))
                if error:
                    return arm_error(400, "InvalidInitiateInput", error)
                ports_out.append((vm["id"], port))
        started = "2025-03-01T09:00:00.1234567Z"
        request = {
            "virtualMachines": [
                {
                    "id": vm,
                    "ports": [
                        {
                            "number": p["number"],
                            "allowedSourceAddressPrefix": p["allowedSourceAddressPrefix"],
                            "endTimeUtc": _azure_time(p["endTimeUtc"]),
                            "status": "Initiated",
                            "statusReason": "UserRequested",
                        }
                    ],
                }
                for vm, p in ports_out
            ],
            "startTimeUtc": started,
            "requestor": CALLER,
            "justification": body.get("justification"),
        }
        if self.polls_before_visible:
            self._pending.append((policy_key, request, self.polls_before_visible))
        else:
            self._make_visible(policy, request)
        response = json.loads(json.dumps(request))
        for vm in response["virtualMachines"]:
            for port in vm["ports"]:
                port["status"] = "Initiating"
        return Response(json.dumps(response), status=202, content_type="application/json")


def _source_error(rule: dict, source: str | None) -> str | None:
    # JIT matches the request's source literally against the policy's list (MicrosoftDocs/azure-docs#53026).
    allowed = rule.get("allowedSourceAddressPrefixes") or [rule.get("allowedSourceAddressPrefix")]
    if source is None or "*" in allowed or source in allowed:
        return None
    return f"Source address prefix {source} is not allowed by the policy. Allowed: {', '.join(allowed)}."


@lru_cache(maxsize=1)
def _certificates() -> tuple[str, str, str]:
    """A throwaway CA and a server certificate for 127.0.0.1 (paths: CA, cert, key); made once per run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.timezone.utc)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-arm test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="fake-arm-tls-"))
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(cert.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(folder / "ca.pem"), str(folder / "cert.pem"), str(folder / "key.pem")


@contextlib.contextmanager
def tls_server(threaded: bool = False) -> Iterator[HTTPServer]:
    """An HTTPS server on 127.0.0.1 with the throwaway CA's certificate (start once per module: stop is slow).

    `threaded`: one thread per connection, so a deliberately slow answer does not hold up the next request.
    """
    _ca, cert, key = _certificates()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=threaded)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


def attach(server: HTTPServer, monkeypatch: Any) -> FakeArm:
    """A fresh fake ARM on `server` for one test; the process trusts the server's CA meanwhile."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", _certificates()[0])
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    server.clear()
    arm = FakeArm(url=server.url_for("/").rstrip("/"))
    server.expect_request(re.compile(".*")).respond_with_handler(arm.handle)
    return arm


@dataclass
class Run:
    """What one CLI invocation produced."""

    status: int
    out: str
    err: str
    runtime: Runtime


def make_runtime(
    arm: FakeArm | None, credential: FixedTokenCredential | None = None, tty: bool = False, **environ: str
) -> Runtime:
    """A Runtime with the fixed clock, captured output, the fixed-token credential and the fake endpoint."""
    credential = credential or FixedTokenCredential()
    env = {"AZURE_SUBSCRIPTION_ID": SUB, "AZURE_CONFIG_DIR": "/nonexistent-az-config"}
    if arm is not None:
        env.update(JIT_ARM_ENDPOINT=arm.url, JIT_IP_LOOKUP_URL=f"{arm.url}/ip")
    env.update(environ)
    sleeps: list[float] = []
    # Waiting is measured on a clock that the fake sleeps move forward, so no test sleeps for real.
    elapsed = [0.0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        elapsed[0] += seconds

    def factory(cloud: Any, tenant: str | None) -> FixedTokenCredential:
        credential.built_for.append((cloud.name, tenant))
        return credential

    runtime = Runtime(
        credential_factory=factory,
        clock=lambda: NOW,
        sleep=sleep,
        monotonic=lambda: elapsed[0],
        limits=FAST_LIMITS,
        out=io.StringIO(),
        err=io.StringIO(),
        environ=env,
        poll_interval=5.0,
        is_tty=tty,
    )
    runtime.sleeps = sleeps  # type: ignore[attr-defined]
    runtime.credential = credential  # type: ignore[attr-defined]
    return runtime


def run_cli(argv: list[str], runtime: Runtime) -> Run:
    """Parse `argv` with the real `jit` parser and run its handler with the test runtime."""
    args = build_parser().parse_args(argv)
    status = args.handler(args, runtime)
    return Run(status, runtime.out.getvalue(), runtime.err.getvalue(), runtime)
