#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve_truth.py PORT... | --udp PORT | --ping: run inside a visitor's namespace, prints "PORT STATE" per port as
ShieldsUP would see it from outside, from the namespace itself, not from the test's intent:
its TCP listeners (ss) and its nftables input chains (nft -j), evaluated for a new inbound SYN.
  stealth  the ruleset drops the SYN
  closed   rejected, or accepted with nothing listening (the kernel answers RST)
  open     accepted and something listens
--udp PORT and --ping say what a datagram or an echo request gets: answered, refused (an ICMP
error) or silent. A rule it cannot evaluate is an error (exit 1), never a guess."""
import json
import subprocess
import sys


def listeners(proto):
    out = subprocess.run(['ss', '-Hl' + proto + 'n'], capture_output=True, text=True,
                         check=True).stdout
    ports = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 4:
            ports.add(int(f[3].rsplit(':', 1)[1]))
    return ports


def values_of(right):
    if isinstance(right, dict) and 'set' in right:
        return right['set']
    return right if isinstance(right, list) else [right]


def match(m, pkt):
    """Does this match hold for a new inbound packet pkt (proto, dport)?"""
    left, op, right = m['left'], m.get('op', '=='), m['right']
    proto, dport = pkt
    if 'payload' in left and left['payload'].get('field') == 'dport':
        hit = left['payload'].get('protocol') == proto and dport in values_of(right)
    elif 'meta' in left and left['meta'] == {'key': 'l4proto'}:
        hit = proto in values_of(right) or {'tcp': 6, 'udp': 17, 'icmp': 1}[proto] in \
            values_of(right)
    elif 'meta' in left and left['meta'] in ({'key': 'iif'}, {'key': 'iifname'}):
        hit = False  # the probe arrives on the link, never on lo
    elif 'ct' in left and left['ct'] == {'key': 'state'}:
        hit = 'new' in values_of(right)
    else:
        raise ValueError('cannot evaluate match %s' % json.dumps(m))
    if op in ('==', 'in'):
        return hit
    if op == '!=':
        return not hit
    raise ValueError('cannot evaluate op %s' % op)


def chain_verdict(rules, policy, pkt):
    for expr in rules:
        ok = True
        for e in expr:
            if 'match' in e:
                ok = ok and match(e['match'], pkt)
            elif ok:
                for v in ('accept', 'drop', 'reject'):
                    if v in e:
                        return v
                if 'counter' not in e:
                    raise ValueError('cannot evaluate statement %s' % json.dumps(e))
    return policy


def firewall():
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
    return lambda pkt: [chain_verdict(rules.get(k, []), pol, pkt) for k, pol in chains.items()]


def main():
    verdicts = firewall()
    if sys.argv[1] == '--udp':
        # A datagram to a UDP port: the service answers, the kernel refuses (ICMP port
        # unreachable) or the firewall drops it.
        port = int(sys.argv[2])
        v = verdicts(('udp', port))
        print('silent' if 'drop' in v else 'refused' if 'reject' in v or
              port not in listeners('u') else 'answered')
        return
    if sys.argv[1] == '--ping':
        v = verdicts(('icmp', None))
        print('silent' if 'drop' in v else 'refused' if 'reject' in v else 'answered')
        return
    listening = listeners('t')
    for p in [int(p) for p in sys.argv[1:]]:
        v = verdicts(('tcp', p))
        if 'drop' in v:
            state = 'stealth'
        elif 'reject' in v:
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
