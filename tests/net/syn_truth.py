#!/usr/bin/env python3
"""Ground truth for the SYN scan lab tests, and the comparison with portsight's JSON Lines.

  syn_truth.py gen16 SEED NLIVE NSTEALTHY PORTS OUT_TRUTH OUT_NFT
      picks hosts in 198.18.0.0/16 and writes the truth file and the target's nft ruleset
  syn_truth.py check RESULT.jsonl TRUTH ADDR_COUNT PORTS MODE
      MODE exact: every pair as in the truth; recall: >= 99.9% of open pairs found and
      no false open; prints one line per finding and exits 1 on a mismatch

A truth file has one line per pair that is not "filtered no-response":
  IP PORT STATE REASON      (PORT may be '*' meaning every scanned port not listed)
"""
import ipaddress
import json
import random
import sys


def ports_of(spec):
    out = []
    for item in spec.split(","):
        if "-" in item:
            lo, hi = item.split("-")
            out.extend(range(int(lo), int(hi) + 1))
        else:
            out.append(int(item))
    return out


def gen16(seed, nlive, nstealthy, ports, truth_path, nft_path):
    rng = random.Random(int(seed))
    ports = ports_of(ports)
    net = ipaddress.ip_network("198.18.0.0/16")
    hosts = rng.sample(range(1, 65535), int(nlive) + int(nstealthy))
    live = [str(net[h]) for h in hosts[: int(nlive)]]
    stealthy = [str(net[h]) for h in hosts[int(nlive):]]
    open_pairs, prohib_pairs = [], []
    with open(truth_path, "w") as t:
        for ip in live:
            for p in ports:
                r = rng.random()
                if r < 0.08:
                    open_pairs.append((ip, p))
                    t.write(f"{ip} {p} open syn-ack\n")
                elif r < 0.10:
                    prohib_pairs.append((ip, p))
                    t.write(f"{ip} {p} filtered icmp-admin-prohibited\n")
            t.write(f"{ip} * closed reset\n")
        for ip in stealthy:
            # Answers on 443 only; every other port is dropped without a word.
            open_pairs.append((ip, 443))
            t.write(f"{ip} 443 open syn-ack\n")

    def elems(pairs):
        return ", ".join(f"{ip} . {p}" for ip, p in pairs) or ""

    with open(nft_path, "w") as f:
        f.write("table inet syn16 {\n")
        f.write("  set live { type ipv4_addr; elements = { %s } }\n" % ", ".join(live + stealthy))
        f.write("  set stealthy { type ipv4_addr; elements = { %s } }\n" % ", ".join(stealthy))
        f.write("  set open { type ipv4_addr . inet_service; elements = { %s } }\n"
                % elems(open_pairs))
        if prohib_pairs:
            f.write("  set prohib { type ipv4_addr . inet_service; elements = { %s } }\n"
                    % elems(prohib_pairs))
        f.write("  chain in { type filter hook input priority 0; policy accept;\n")
        f.write("    ip daddr != 198.18.0.0/16 accept\n")
        f.write("    ip daddr != @live drop\n")
        f.write("    meta l4proto tcp ip daddr . tcp dport @open accept\n")
        f.write("    ip daddr @stealthy drop\n")
        if prohib_pairs:
            f.write("    meta l4proto tcp ip daddr . tcp dport @prohib "
                    "reject with icmpx type admin-prohibited\n")
        f.write("    meta l4proto tcp reject with tcp reset\n  }\n}\n")


def check(result_path, truth_path, naddrs, ports, mode):
    ports = ports_of(ports)
    naddrs = int(naddrs)
    truth, default = {}, {}
    for line in open(truth_path):
        ip, port, state, reason = line.split()
        ip = str(ipaddress.ip_address(ip))
        if port == "*":
            default[ip] = (state, reason)
        else:
            truth[(ip, int(port))] = (state, reason)
    seen, dup = {}, 0
    for line in open(result_path):
        rec = json.loads(line)
        if "ip" not in rec:
            continue
        key = (str(ipaddress.ip_address(rec["ip"])), rec["port"])
        if key in seen:
            dup += 1
        seen[key] = (rec["state"], rec["reason"])

    def want(key):
        if key in truth:
            return truth[key]
        return default.get(key[0], ("filtered", "no-response"))

    addrs = {k[0] for k in seen}
    mism, false_open, open_total, open_found = 0, 0, 0, 0
    examples = []
    for key, got in seen.items():
        w = want(key)
        if got != w:
            mism += 1
            if len(examples) < 5:
                examples.append(f"{key[0]}:{key[1]} got {got[0]}/{got[1]} want {w[0]}/{w[1]}")
        if got[0] == "open" and w[0] != "open":
            false_open += 1
    for key, w in truth.items():
        if w[0] == "open":
            open_total += 1
            if seen.get(key, ("",))[0] == "open":
                open_found += 1
    expected_pairs = naddrs * len(ports)
    print(f"reported {len(seen)} of {expected_pairs} pairs, {dup} duplicates, "
          f"{len(addrs)} addresses")
    print(f"open found {open_found} of {open_total}, false open {false_open}, "
          f"mismatches {mism}")
    for e in examples:
        print("  e.g. " + e)
    ok = dup == 0 and len(seen) == expected_pairs and false_open == 0
    if mode == "exact":
        ok = ok and mism == 0 and open_found == open_total
    else:
        ok = ok and open_total > 0 and open_found >= 0.999 * open_total
    print("RESULT " + ("pass" if ok else "fail"))
    return 0 if ok else 1


if __name__ == "__main__":
    if sys.argv[1] == "gen16":
        gen16(*sys.argv[2:8])
    elif sys.argv[1] == "check":
        sys.exit(check(*sys.argv[2:7]))
    else:
        sys.exit(__doc__)
