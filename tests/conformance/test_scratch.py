import sys
import json
def test_packs(preview):
    cfg = {"conformance:team": "web"}
    for program, pack, args in [("bad_group", "levels", []), ("bad_group", "config_schema", []), ("bad_group", "runtime_data", ["--stack-tag", "env=prod"]),
        ("unknown_input", "unknowns", []), ("bad_group", "remediation", []), ("options", "probe_options", []), ("explicit_provider", "probe_options", []),
        ("options", "probe_links", []), ("options", "attribution", []), ("user_identity", "stack_state", [])]:
        r = preview(program, config=cfg, packs=[pack], args=args)
        sys.__stderr__.write(f"===== {program} {pack} {r.code} {r.stderr[-500:]}\n")
        if r.code != 2:
            sys.__stderr__.write(json.dumps(r.doc["violations"], indent=1)[:2500] + str(r.doc.get("remediations")) + "\n")
