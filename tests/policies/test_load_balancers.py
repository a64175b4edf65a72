"""lb-no-public-management-nat: inbound NAT rules and pools on public frontends.

Shapes: Microsoft Learn REST API "Load Balancers - Create Or Update" (frontendIPConfigurations[].publicIPAddress /
publicIPPrefix / subnet; inboundNatRules[] and inboundNatPools[] with frontendIPConfiguration.id and backendPort)
and "Inbound Nat Rules - Create Or Update" (standalone rule of a load balancer named by loadBalancerName).
"""

from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE as UNKNOWN

LB = "azure-native:network:LoadBalancer"
NAT = "azure-native:network:InboundNatRule"
POLICY = "lb-no-public-management-nat"
LB_ID = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb"


def frontend(name):
    return {"id": f"{LB_ID}/frontendIPConfigurations/{name}"}


def balancer(**extra):
    return {
        "loadBalancerName": "lb",
        "resourceGroupName": "rg",
        "frontendIPConfigurations": [
            {"name": "public", "publicIPAddress": {"id": "/subscriptions/s/.../publicIPAddresses/ip"}},
            {
                "name": "internal",
                "subnet": {"id": "/subscriptions/s/.../subnets/app"},
                "privateIPAllocationMethod": "Dynamic",
            },
        ],
        **extra,
    }


def test_nat_rule_from_public_frontend_to_ssh_is_refused(judge, make):
    props = balancer(
        inboundNatRules=[
            {
                "name": "ssh",
                "frontendPort": 50022,
                "backendPort": 22,
                "protocol": "Tcp",
                "frontendIPConfiguration": frontend("public"),
            }
        ]
    )
    found = judge(make(LB, "lb", props), policy=POLICY)
    assert [(p, level) for p, level, _ in found] == [(POLICY, "mandatory")]
    assert found[0][2].startswith(
        "Load balancer 'lb' inboundNatRules[0] ('ssh') forwards public frontend 'public' to backend port 22 "
        "(management port 22)"
    )


def test_nat_pool_covering_rdp_is_refused(judge, make):
    pool = {
        "name": "rdp",
        "frontendPortRangeStart": 50000,
        "frontendPortRangeEnd": 50100,
        "backendPort": 3389,
        "protocol": "Tcp",
        "frontendIPConfiguration": frontend("public"),
    }
    found = judge(make(LB, "lb", balancer(inboundNatPools=[pool])), policy=POLICY)
    assert len(found) == 1 and "inboundNatPools[0] ('rdp')" in found[0][2]


def test_internal_frontend_and_non_management_ports_pass(judge, make):
    rules = [
        {"name": "ssh", "frontendPort": 50022, "backendPort": 22, "frontendIPConfiguration": frontend("internal")},
        {"name": "web", "frontendPort": 443, "backendPort": 443, "frontendIPConfiguration": frontend("public")},
    ]
    assert judge(make(LB, "lb", balancer(inboundNatRules=rules)), policy=POLICY) == []
    private_only = {
        "loadBalancerName": "lb",
        "frontendIPConfigurations": [{"name": "internal", "subnet": {"id": "x"}}],
        "inboundNatRules": [{"name": "ssh", "backendPort": 22}],
    }
    assert judge(make(LB, "lb", private_only), policy=POLICY) == []


def test_standalone_rule_is_judged_against_its_load_balancer(judge, make):
    rule = {
        "inboundNatRuleName": "rdp",
        "loadBalancerName": "lb",
        "backendPort": 3389,
        "frontendIPConfiguration": frontend("public"),
    }
    found = judge(make(LB, "lb", balancer()), make(NAT, "rdp", rule), policy=POLICY)
    assert len(found) == 1 and found[0][2].startswith("Inbound NAT rule 'rdp' forwards public frontend 'public'")
    internal = {**rule, "frontendIPConfiguration": frontend("internal")}
    assert judge(make(LB, "lb", balancer()), make(NAT, "rdp", internal), policy=POLICY) == []


def test_standalone_rule_of_a_load_balancer_outside_the_stack_fails_closed(judge, make):
    rule = {"inboundNatRuleName": "ssh", "loadBalancerName": "elsewhere", "backendPort": 22}
    found = judge(make(NAT, "ssh", rule), policy=POLICY)
    assert len(found) == 1 and "which is not in this stack" in found[0][2] and "fail closed" in found[0][2]
    assert judge(make(NAT, "web", {**rule, "backendPort": 443}), policy=POLICY) == []


def test_unknown_backend_port_is_deferred(judge, make):
    props = balancer(
        inboundNatRules=[{"name": "x", "backendPort": UNKNOWN, "frontendIPConfiguration": frontend("public")}]
    )
    assert [level for _, level, _ in judge(make(LB, "lb", props), policy=POLICY)] == ["advisory"]


def test_standalone_rule_beside_inline_rules_is_matched_to_its_load_balancer(judge, make):
    # Regression: the inline-rule loop's counter once shadowed the load-balancer index the standalone rules use.
    inline = {"name": "https", "frontendPort": 443, "backendPort": 443, "protocol": "Tcp"}
    rule = {"loadBalancerName": "lb", "frontendPort": 53389, "backendPort": 3389, "protocol": "Tcp"}
    found = judge(make(LB, "lb", balancer(inboundNatRules=[inline])), make(NAT, "rdp", rule), policy=POLICY)
    assert [(p, level) for p, level, _ in found] == [(POLICY, "mandatory")]
    assert found[0][2].startswith("Inbound NAT rule 'rdp' forwards a load balancer with public frontends")
