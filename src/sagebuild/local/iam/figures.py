"""`python -m sagebuild.local.iam.figures`: what the e2e suite exercises of the template's IAM.

Runs the e2e tests with `SAGEBUILD_IAM_REPORT_DIR` set, so every local stack writes its IAM
ledger when it stops, then merges the ledgers: the distinct (role, action) pairs the suite
exercised, the denials, and the policy statements of the sagebuild template that no call
ever used. Roles and managed policies are named by their logical id (the physical names carry
each stack's name and a random suffix). `--reports DIR` merges existing ledgers instead.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_PHYSICAL = re.compile(r"^(?:.*/)?[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*?-([A-Za-z0-9]+)-[A-Z0-9]{8,}$")


def logical(name: str) -> str:
    """`e2e-TrainingRole-NS1FWS0N0QW6` -> `TrainingRole` (other names unchanged)."""
    head, sep, rest = name.partition("#")
    base = head.rsplit("/", 1)
    owner = base[0]
    match = _PHYSICAL.match(owner)
    owner = match.group(1) if match else owner
    joined = owner if len(base) == 1 else f"{owner}/{base[1]}"
    return joined + sep + rest


def merge(paths: list[Path]) -> dict[str, Any]:
    pairs: set[tuple[str, str]] = set()
    used: set[str] = set()
    known: set[str] = set()
    denials: list[dict[str, str]] = []
    unresolved: set[tuple[str, str]] = set()
    for path in paths:
        report = json.loads(path.read_text(encoding="utf-8"))
        for arn, role in report.get("roles", {}).items():
            if not _PHYSICAL.match(arn.rsplit("/", 1)[-1]):
                continue  # a role a test made, not one of a template's
            name = logical(arn.rsplit("/", 1)[-1])
            pairs.update((name, c["action"]) for c in role.get("calls", []))
            used.update(logical(s) for s in role.get("statements_used", []))
            known.update(logical(s) for s in role.get("statements_used", []))
            known.update(logical(s) for s in role.get("statements_unused") or [])
            denials += [dict(d, role=name, report=path.name) for d in role.get("denials", [])]
            unresolved.update((name, a) for a in role.get("unresolved", {}))
    return {
        "reports": len(paths),
        "role_action_pairs": len(pairs),
        "pairs": sorted(pairs),
        "statements": len(known),
        "statements_unused": sorted(known - used),
        "denials": denials,
        "unresolved": sorted(unresolved),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagebuild.local.iam.figures")
    parser.add_argument("--reports", type=Path, help="merge the ledgers in this directory")
    parser.add_argument("--json", action="store_true", help="print the merged figures as JSON")
    args = parser.parse_args(argv)
    directory = args.reports
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="sagebuild-iam-"))
        env = dict(os.environ, SAGEBUILD_IAM_REPORT_DIR=str(directory))
        command = [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadfile"]
        subprocess.run([*command, "tests/e2e"], env=env, check=False)
    figures = merge(sorted(Path(directory).glob("*.json")))
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"ledgers merged: {figures['reports']} (from {directory})")
    print(f"distinct (role, action) pairs exercised: {figures['role_action_pairs']}")
    print(f"policy statements: {figures['statements']}, never used by a call:")
    for statement in figures["statements_unused"]:
        print(f"  {statement}")
    print(f"calls with unresolved resources (decided on the action): {figures['unresolved']}")
    expected = [d for d in figures["denials"] if d["report"].startswith("mut-")]
    print(f"denials: {len(figures['denials'])} ({len(expected)} in the mutation tests)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
