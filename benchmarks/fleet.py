"""Fleet benchmark: `jit preview` of an N-VM estate built from our components, against two baselines.

For each size it generates a Pulumi program (VMs spread over resource groups of `--per-group` VMs, each
group with its VNet, one JIT policy, plus Defender, the requester role, the deny-wildcard policy and the
approval workflow once), and measures, each in a fresh child process:

- ours:  `jit preview`'s engine on that program (run, record, render JSON);
- floor: the same resources created by the azure-native constructors, wired by Outputs as a hand-written
  program would be, without components and without the SDK's API-version aliases;
- naive: the same, keeping the aliases the azure-native SDK attaches to every resource.

It prints wall seconds, seconds per resource and peak memory per run, then ours/floor and naive/ours.
Run it with `make bench` (or `python benchmarks/fleet.py --sizes 10,100`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROGRAM = '''
"""Generated fleet: {vms} VMs in groups of {per_group}."""
import pulumi
from pulumi_azure_native import network, resources

import benchmarks.fleet_program as fleet

fleet.build(vms={vms}, per_group={per_group}, keep_aliases=pulumi.Config().get_bool("keepAliases") or False)
'''


def write_program(folder: Path, vms: int, per_group: int) -> Path:
    """A Pulumi project folder whose program builds the fleet."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text("name: fleet\nruntime: python\n")
    (folder / "Pulumi.bench.yaml").write_text("config:\n  azure-native:location: westeurope\n")
    (folder / "__main__.py").write_text(textwrap.dedent(PROGRAM.format(vms=vms, per_group=per_group)))
    return folder


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(args: argparse.Namespace) -> None:
    """Run one scenario in this (fresh) process and print its figures as JSON."""
    from azure_jit_access.cli.preview.engine import run_program
    from azure_jit_access.cli.preview.render import render_json
    from benchmarks.replay import harvest_aliases, recorded, replay

    start = time.perf_counter()
    if args.child in ("ours", "harvest"):
        overrides = ["keepAliases=true"] if args.child == "harvest" else []
        result = run_program(args.program, "bench", overrides)
        render_json(result)
        seconds = time.perf_counter() - start
        if args.child == "harvest":
            Path(args.data).write_text(json.dumps(harvest_aliases(result)))
        else:
            Path(args.data).write_text(json.dumps(recorded(result)))
    else:
        recorded = json.loads(Path(args.data).read_text())
        aliases = json.loads(Path(args.aliases).read_text()) if args.child == "naive" else None
        start = time.perf_counter()
        result = replay(recorded, aliases)
        render_json(result)
        seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds, "resources": len(result.resources), "peak_mib": _peak_mib()}))


def run_child(scenario: str, **paths: str) -> dict:
    """Start a child process for one scenario and read its figures."""
    command = [sys.executable, __file__, "--child", scenario] + [f"--{key}={value}" for key, value in paths.items()]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{scenario} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse options; run the parent (table) or one child scenario."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated VM counts (default 10,100,1000)")
    parser.add_argument("--per-group", type=int, default=50, help="VMs per resource group (default 50)")
    parser.add_argument(
        "--naive-max", type=int, default=1000, help="largest size to run the slow naive baseline for (default 1000)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--program", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--aliases", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    print(f"machine: {_machine()}")
    print(f"jit --help: {_help_seconds():.3f} s (best of 5)")
    print(f"{'scenario':<8} {'VMs':>6} {'resources':>10} {'seconds':>9} {'ms/resource':>12} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        aliases = work / "aliases.json"
        harvest_program = write_program(work / "harvest", 10, args.per_group)  # aliases per type: any size will do
        run_child("harvest", program=str(harvest_program), data=str(aliases))
        for vms in sizes:
            program = write_program(work / f"fleet-{vms}", vms, args.per_group)
            data = work / f"resources-{vms}.json"
            rows = {"ours": run_child("ours", program=str(program), data=str(data))}
            rows["floor"] = run_child("floor", data=str(data))
            if vms <= args.naive_max:
                rows["naive"] = run_child("naive", data=str(data), aliases=str(aliases))
            for name, row in rows.items():
                per = 1000 * row["seconds"] / max(row["resources"], 1)
                print(
                    f"{name:<8} {vms:>6} {row['resources']:>10} {row['seconds']:>9.2f} {per:>12.2f} "
                    f"{row['peak_mib']:>9.0f}"
                )
            ratio = f"ours/floor = {rows['ours']['seconds'] / rows['floor']['seconds']:.2f}x"
            if "naive" in rows:
                ratio += f", naive/ours = {rows['naive']['seconds'] / rows['ours']['seconds']:.1f}x"
            print(f"{'':<8} {vms:>6} {ratio}")
            sys.stdout.flush()


def _help_seconds() -> float:
    """Wall time of `jit --help` in a new process: what a user waits for before anything happens."""
    jit = Path(sys.executable).parent / "jit"
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([str(jit), "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def _machine() -> str:
    import os
    import platform

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
