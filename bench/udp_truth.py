#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udp_truth.py FORMAT FILE: compares a UDP scan's result with bench/udp.sh's lab.
FORMAT: jsonl (portsight), xml (nmap -oX), list (masscan -oL: open only).
Prints "right wrong missed-open summary"."""
import json
import sys
import xml.etree.ElementTree as ET

OPEN = {53, 123, 161, 1900, 5353, 11211, 31337}
DROPPED = set(range(600, 610))
PORTS = list(range(1, 1001)) + [1900, 5353, 11211, 31337]


def truth(p):
    if p in OPEN:
        return "open"
    if p in DROPPED:
        return "open|filtered"
    return "closed"


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    got = {}
    if fmt == "jsonl":
        for line in open(path):
            if line.startswith('{"ip"'):
                r = json.loads(line)
                got[r["port"]] = r["state"]
    elif fmt == "xml":
        root = ET.parse(path).getroot()
        for port in root.iter("port"):
            got[int(port.get("portid"))] = port.find("state").get("state")
        # nmap folds the commonest state into <extraports>
        for extra in root.iter("extraports"):
            state = extra.get("state")
            for p in PORTS:
                got.setdefault(p, state)
    else:
        for line in open(path):
            f = line.split()
            if len(f) >= 3 and f[0] == "open":
                got[int(f[2])] = "open"
        for p in PORTS:
            got.setdefault(p, "unknown")
    right = sum(1 for p in PORTS if got.get(p) == truth(p))
    missed = sorted(p for p in OPEN if got.get(p) != "open")
    wrong = [p for p in PORTS if got.get(p) != truth(p)]
    kinds = {}
    for p in wrong:
        k = "%s->%s" % (truth(p), got.get(p))
        kinds[k] = kinds.get(k, 0) + 1
    print(right, len(wrong), ",".join(map(str, missed)) or "-",
          "; ".join("%s %d" % kv for kv in sorted(kinds.items())) or "exact")


if __name__ == "__main__":
    main()
