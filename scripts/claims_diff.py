"""Two ``claims.json`` side by side: verdicts per state, every verdict that changed, claims added
or removed, and how far the values of the unchanged verdicts moved.  For reviewing a regeneration
(``scripts/regenerate.sh`` prints it) before committing its results.

    python scripts/claims_diff.py OLD_CLAIMS_JSON NEW_CLAIMS_JSON
"""

from __future__ import annotations

import argparse
import json
from collections import Counter


def state(claim: dict) -> str:
    return {True: "holds", False: "fails", None: "untestable"}[claim["holds"]]


def load(path: str) -> dict[str, dict]:
    with open(path) as f:
        return {c["id"]: c for c in json.load(f)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    args = ap.parse_args()
    old, new = load(args.old), load(args.new)
    for name, claims in (("old", old), ("new", new)):
        counts = Counter(state(c) for c in claims.values())
        print(f"{name}: {len(claims)} claims, " + ", ".join(f"{counts[s]} {s}" for s in ("holds", "fails", "untestable")))
    common = sorted(old.keys() & new.keys())
    flips = [i for i in common if state(old[i]) != state(new[i])]
    print(f"{len(flips)} verdicts changed:")
    for i in flips:
        print(f"  {i}: {state(old[i])} {old[i]['value']} {old[i]['ci95']} -> {state(new[i])} {new[i]['value']} {new[i]['ci95']}"
              + (f" ({new[i]['untestable_reason']})" if new[i]["holds"] is None else ""))
    for label, ids in (("only in old", old.keys() - new.keys()), ("only in new", new.keys() - old.keys())):
        if ids:
            print(f"{label}: {', '.join(sorted(ids))}")
    moved = [(abs(new[i]["value"] - old[i]["value"]), i) for i in common if i not in flips
             and isinstance(old[i]["value"], (int, float)) and isinstance(new[i]["value"], (int, float))]
    same = sum(d == 0 for d, _ in moved)
    print(f"unchanged verdicts with a value: {len(moved)}, of which {same} have the same value")
    for d, i in sorted(moved, reverse=True)[:5]:
        if d:
            print(f"  moved most: {i}: {old[i]['value']} -> {new[i]['value']}")


if __name__ == "__main__":
    main()
