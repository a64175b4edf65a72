"""Pack benchmark: the guardrail pack on the fleet program, to show it stays linear in the number of resources.

For each size it previews the generated fleet of `benchmarks/fleet.py` with the mock engine (not timed) and
then times `evaluate_packs` alone: every resource policy on every resource and every stack policy once, through
pulumi-policy's analyzer as `jit preview` runs it. It prints seconds and milliseconds per resource; a linear
pack keeps ms/resource flat as the fleet grows. Run it with `make bench` or
`python benchmarks/pack.py --sizes 10,100,1000`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(vms: int, per_group: int, work: Path) -> tuple[int, float]:
    """(resources, seconds of policy evaluation) for a fleet of `vms` VMs."""
    from azure_jit_access.cli.preview.engine import run_program
    from azure_jit_access.cli.preview.packs import evaluate_packs, load_pack
    from benchmarks.fleet import write_program

    program = write_program(work / f"fleet-{vms}", vms, per_group)
    result = run_program(program, "bench", [])
    pack = load_pack(ROOT / "policies")
    start = time.perf_counter()
    evaluate_packs([pack], result.resources, None, result.wire_inputs)
    return len(result.resources), time.perf_counter() - start


def main() -> None:
    """Print one row per fleet size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated VM counts (default 10,100,1000)")
    parser.add_argument("--per-group", type=int, default=50, help="VMs per resource group (default 50)")
    args = parser.parse_args()
    print(f"{'VMs':>6} {'resources':>10} {'pack seconds':>13} {'ms/resource':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        for vms in (int(s) for s in args.sizes.split(",") if s.strip()):
            count, seconds = measure(vms, args.per_group, Path(tmp))
            print(f"{vms:>6} {count:>10} {seconds:>13.2f} {1000 * seconds / max(count, 1):>12.2f}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
