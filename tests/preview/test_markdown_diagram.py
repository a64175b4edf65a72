"""The diagram of the change: subgraphs, change classes, folded unchanged parts, a size cap, and a 1000-VM
estate that stays readable. Every diagram here is also parsed by Mermaid's own parser."""

from azure_jit_access.cli.preview.compare import compare
from azure_jit_access.cli.preview.diagram import MAX_EDGES, MAX_NODES, mermaid
from tests.markdown.checks import parse_mermaid

RG = "/subscriptions/s/resourceGroups/rg/providers"


def res(urn, type_, name, parent=None, inputs=None, id_=None):
    return {
        "urn": urn,
        "type": type_,
        "name": name,
        "parent": parent,
        "inputs": inputs or {},
        "options": {},
        **({"id": id_} if id_ else {}),
    }


def fleet(vms: int, size="Standard_B2s") -> dict:
    """A recorded-resources document shaped like our dev stack, with `vms` JitProtectedVm components."""
    stack = res("urn:stack", "pulumi:pulumi:Stack", "fleet")
    subnet = res("urn:subnet", "azure-native:network:Subnet", "workload", "urn:stack", id_=f"{RG}/subnet")
    resources = [stack, subnet]
    vm_ids = []
    for i in range(vms):
        comp = f"urn:vm{i}"
        resources.append(res(comp, "azure-jit-access:vm:JitProtectedVm", f"vm-{i:04d}", "urn:stack"))
        nic_id, vm_id = f"{RG}/nic{i}", f"{RG}/vm{i}"
        resources += [
            res(
                f"{comp}-nsg", "azure-native:network:NetworkSecurityGroup", f"vm-{i:04d}-nsg", comp, id_=f"{RG}/nsg{i}"
            ),
            res(f"{comp}-deny", "azure-native:network:SecurityRule", f"vm-{i:04d}-deny-22", comp, id_=f"{RG}/r{i}"),
            res(
                f"{comp}-nic",
                "azure-native:network:NetworkInterface",
                f"vm-{i:04d}-nic",
                comp,
                {"subnet": {"id": f"{RG}/subnet"}},
                nic_id,
            ),
            res(
                f"{comp}-vm",
                "azure-native:compute:VirtualMachine",
                f"vm-{i:04d}-vm",
                comp,
                {"nic": nic_id, "size": size},
                vm_id,
            ),
        ]
        vm_ids.append(vm_id)
    resources.append(
        res(
            "urn:jit",
            "azure-native:security:JitNetworkAccessPolicy",
            "jit",
            "urn:stack",
            {"virtualMachines": [{"id": v} for v in vm_ids]},
            f"{RG}/jit",
        )
    )
    return {"resources": resources}


def node_lines(diagram: str) -> list[str]:
    return [line for line in diagram.splitlines() if '["' in line]


def test_a_1000_vm_estate_stays_under_the_cap_and_readable():
    doc = fleet(1000)
    diagram = mermaid(doc)
    nodes = node_lines(diagram)
    assert len(nodes) <= MAX_NODES + 1 and len(diagram) < 10_000
    assert len(diagram.splitlines()) < 40  # docs/review.md says so
    assert '    n16["+ 997 more JitProtectedVm (4985 resources)"]:::create' in diagram.splitlines()
    assert len([line for line in diagram.splitlines() if "-.->" in line]) <= MAX_EDGES
    assert parse_mermaid([diagram])[0]["ok"]


def test_a_change_to_one_vm_of_1000_folds_everything_else():
    base = fleet(1000)
    head = fleet(1000)
    head["resources"][3 + 5 * 500 + 3]["inputs"]["size"] = "Standard_D4s_v5"  # vm-0500's VM
    head["resources"] = [r for r in head["resources"] if r["urn"] != "urn:vm7-deny"]
    changes = compare(base, head)
    assert changes.counts()["update"] == 1 and changes.counts()["delete"] == 1
    diagram = mermaid(head, changes)
    lines = diagram.splitlines()
    assert '    subgraph c1["JitProtectedVm vm-0007"]' in lines  # an unchanged component with a changed child
    assert any('["- SecurityRule<br/>vm-0007-deny-22"]:::delete' in line for line in lines)
    assert any('["~ VirtualMachine<br/>vm-0500-vm"]:::update' in line for line in lines)
    assert any(line.startswith('    n7["4992 unchanged<br/>998 JitProtectedVm') for line in lines)
    assert len(node_lines(diagram)) < 15
    assert parse_mermaid([diagram])[0]["ok"]


def test_beyond_the_cap_a_note_says_how_much_is_not_drawn(monkeypatch):
    from azure_jit_access.cli.preview import diagram as module

    monkeypatch.setattr(module, "SIBLINGS_SHOWN", 10_000)
    diagram = mermaid(fleet(40))
    note = diagram.splitlines()[-6]
    assert note.startswith('    more["') and "more resources not drawn (diagram capped at 60 nodes)" in note
    omitted = int(note.split('["', 1)[1].split(" ", 1)[0])
    drawn = sum(1 for line in node_lines(diagram) if "more resources" not in line)
    assert drawn == MAX_NODES and omitted > 0
    assert parse_mermaid([diagram])[0]["ok"]


def test_awkward_names_still_parse():
    names = ['a"b', "x[1]", "c#d", "e`f", "end", "<b>bold</b>", "a;b", "a|b", "{x}", "graph"]
    docs = [{"resources": [res("urn:a", "azure-native:network:SecurityRule", name)]} for name in names]
    assert [r["ok"] for r in parse_mermaid([mermaid(doc) for doc in docs])] == [True] * len(names)
