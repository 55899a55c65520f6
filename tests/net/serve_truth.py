#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve_truth.py PORT...: run inside a visitor's namespace, prints "PORT STATE" per port as
ShieldsUP would see it from outside, from the namespace itself, not from the test's intent:
its TCP listeners (ss) and its nftables input chains (nft -j), evaluated for a new inbound SYN.
  stealth  the ruleset drops the SYN
  closed   rejected, or accepted with nothing listening (the kernel answers RST)
  open     accepted and something listens
A rule it cannot evaluate is an error (exit 1), never a guess."""
import json
import subprocess
import sys


def listeners():
    out = subprocess.run(['ss', '-Hltn'], capture_output=True, text=True, check=True).stdout
    ports = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4:
            ports.add(int(f[3].rsplit(':', 1)[1]))
    return ports


def match(m, port):
    """Does this match hold for a new TCP SYN to port?"""
    left, op, right = m['left'], m.get('op', '=='), m['right']
    if 'payload' in left and left['payload'] == {'protocol': 'tcp', 'field': 'dport'}:
        values = right['set'] if isinstance(right, dict) and 'set' in right else \
            right if isinstance(right, list) else [right]
        hit = port in values
    elif 'meta' in left and left['meta'] == {'key': 'l4proto'}:
        values = right if isinstance(right, list) else [right]
        hit = 'tcp' in values or 6 in values
    elif 'meta' in left and left['meta'] in ({'key': 'iif'}, {'key': 'iifname'}):
        hit = False  # the probe arrives on the link, never on lo
    elif 'ct' in left and left['ct'] == {'key': 'state'}:
        values = right if isinstance(right, list) else [right]
        hit = 'new' in values
    else:
        raise ValueError('cannot evaluate match %s' % json.dumps(m))
    if op in ('==', 'in'):
        return hit
    if op == '!=':
        return not hit
    raise ValueError('cannot evaluate op %s' % op)


def chain_verdict(rules, policy, port):
    for expr in rules:
        ok = True
        for e in expr:
            if 'match' in e:
                ok = ok and match(e['match'], port)
            elif ok:
                for v in ('accept', 'drop', 'reject'):
                    if v in e:
                        return v
                if 'counter' not in e:
                    raise ValueError('cannot evaluate statement %s' % json.dumps(e))
    return policy


def main():
    ports = [int(p) for p in sys.argv[1:]]
    ruleset = json.loads(subprocess.run(['nft', '-j', 'list', 'ruleset'], capture_output=True,
                                        text=True, check=True).stdout or '{"nftables": []}')
    chains, rules = {}, {}
    for item in ruleset['nftables']:
        if 'chain' in item and item['chain'].get('hook') == 'input':
            c = item['chain']
            if c['family'] in ('inet', 'ip'):
                chains[(c['family'], c['table'], c['name'])] = c.get('policy', 'accept')
        if 'rule' in item:
            r = item['rule']
            rules.setdefault((r['family'], r['table'], r['chain']), []).append(r['expr'])
    listening = listeners()
    for p in ports:
        verdicts = [chain_verdict(rules.get(k, []), pol, p) for k, pol in chains.items()]
        if 'drop' in verdicts:
            state = 'stealth'
        elif 'reject' in verdicts:
            state = 'closed'
        else:
            state = 'open' if p in listening else 'closed'
        print(p, state)


if __name__ == '__main__':
    try:
        main()
    except (ValueError, KeyError, subprocess.CalledProcessError) as e:
        print('serve_truth: %s' % e, file=sys.stderr)
        sys.exit(1)
