#!/usr/bin/env python3
"""Egress capture and check for the namespace lab (no tcpdump needed).

  egress.py capture FILE IFACE
                              record every packet that arrives on IFACE (AF_PACKET), one line
                              each, until SIGTERM; "ready" is written to FILE.ready once
                              listening. Run in the peer namespace of the scanner's only link:
                              what arrives there is everything the scanner sent, including
                              frames a sender's PACKET_QDISC_BYPASS hides from its own taps
  egress.py check FILE ALLOWED NEXTHOPS [EXCLUDED]
                              every recorded packet must go to an ALLOWED address (comma list
                              of addresses, CIDRs, first-last ranges) that is not EXCLUDED, or
                              be ARP/NDP for such an address or a NEXTHOP (an ARP reply, which
                              answers the neighbour that asked, always passes); prints each
                              other packet and exits 1
"""
import ipaddress
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = 33


def summarize(frame):
    if len(frame) < 14:
        return "short"
    etype = struct.unpack("!H", frame[12:14])[0]
    body = frame[14:]
    if etype == 0x0806 and len(body) >= 28:
        op = struct.unpack("!H", body[6:8])[0]
        return "arp op=%d tpa=%s" % (op, socket.inet_ntop(socket.AF_INET, body[24:28]))
    if etype == 0x0800 and len(body) >= 20:
        line = "ip4 dst=%s proto=%d" % (socket.inet_ntop(socket.AF_INET, body[16:20]), body[9])
        ihl = (body[0] & 15) * 4
        if body[9] in (6, 17) and len(body) >= ihl + 4:  # which service a probe asked
            line += " dport=%d" % struct.unpack("!H", body[ihl + 2:ihl + 4])[0]
        elif body[9] == 1 and len(body) > ihl:
            line += " icmp=%d" % body[ihl]
        return line
    if etype == 0x86DD and len(body) >= 40:
        dst = socket.inet_ntop(socket.AF_INET6, body[24:40])
        nh = body[6]
        line = "ip6 dst=%s nh=%d" % (dst, nh)
        off = 40
        if nh == 0 and len(body) >= 42:  # hop-by-hop options (MLD's router alert)
            nh, off = body[40], 40 + (body[41] + 1) * 8
        if nh == 58 and len(body) > off:
            line += " icmp6=%d" % body[off]
            if body[off] in (135, 136) and len(body) >= off + 24:
                line += " target=%s" % socket.inet_ntop(socket.AF_INET6, body[off + 8:off + 24])
        return line
    return "eth type=0x%04x" % etype


def capture(path, iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    # A proof must not miss a packet: a deep buffer, and the kernel's drop count at the end.
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 256 << 20)
    out = open(path, "w", buffering=1 << 16)

    def stop(*_):
        stats = s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        packets, drops = struct.unpack("II", stats)
        out.write("stats drops=%d\n" % drops)
        out.flush()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    with open(path + ".ready", "w") as r:
        r.write("ready\n")
    while True:
        frame, addr = s.recvfrom(65535)
        ifname, _, pkttype = addr[0], addr[1], addr[2]
        if pkttype == PACKET_OUTGOING:
            continue  # the capturing side's own answers
        out.write("%s %s\n" % (ifname, summarize(frame)))


def exclude(net, excluded):
    """net without every excluded network, as a list of networks."""
    parts = [net]
    for x in excluded:
        nxt = []
        for p in parts:
            if p.version != x.version or not p.overlaps(x):
                nxt.append(p)
            elif x.supernet_of(p):
                continue
            else:
                nxt.extend(p.address_exclude(x) if p.supernet_of(x) else
                           [q for q in (p.subnets(new_prefix=x.prefixlen)) if q != x])
        parts = nxt
    return parts


def allowed(addr, nets):
    a = ipaddress.ip_address(addr)
    return any(a in n for n in nets)


def networks(spec):
    """"a,b/24,c-d": addresses, networks and ranges, as a list of networks."""
    nets = []
    for item in filter(None, spec.split(",")):
        if "-" in item:
            lo, hi = (ipaddress.ip_address(x) for x in item.split("-"))
            nets.extend(ipaddress.summarize_address_range(lo, hi))
        else:
            nets.append(ipaddress.ip_network(item, strict=False))
    return nets


def check(path, allowed_spec, nexthop_spec, excluded_spec=""):
    excluded = networks(excluded_spec)
    nets = [n for net in networks(allowed_spec) for n in exclude(net, excluded)]
    hops = networks(nexthop_spec)
    bad = 0
    n = 0
    for line in open(path):
        n += 1
        f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
        kind = line.split()[1]
        if line.startswith("stats "):
            n -= 1
            if int(f["drops"]):
                bad += 1
                print("EGRESS VIOLATION: the capture dropped %s packets" % f["drops"])
            continue
        ok = False
        if kind == "arp":
            # A request asks for a target or the next hop; a reply (op 2) only answers the
            # neighbour on the link that asked (the target namespace checking its entry for
            # the scanner): it probes nothing.
            ok = allowed(f["tpa"], nets + hops) or f.get("op") == "2"
        elif kind in ("ip4", "ip6"):
            ok = allowed(f["dst"], nets)
            icmp6 = int(f.get("icmp6", -1))
            if not ok and icmp6 in (135, 136) and "target" in f:
                ok = allowed(f["target"], nets + hops)  # NDP for a target or the next hop
            # An answer to a neighbour's solicitation goes to its link-local address: link
            # scope, it cannot be routed anywhere.
            if not ok and icmp6 == 136 and ipaddress.ip_address(f["dst"]).is_link_local:
                ok = True
            # The kernel's neighbour unreachability detection of a link-local neighbour (the
            # target's own link-local address, learnt from its router solicitation or MLD
            # report): link scope too, never routed.
            if not ok and icmp6 == 135 and "target" in f and \
                    ipaddress.ip_address(f["target"]).is_link_local and \
                    ipaddress.ip_address(f["dst"]).is_link_local:
                ok = True
            # The kernel's own IPv6 link chatter, not the scanner's: router solicitations
            # and MLD reports to their all-routers multicast groups.
            if not ok and ((icmp6 == 133 and f["dst"] == "ff02::2") or
                           (icmp6 == 143 and f["dst"] == "ff02::16")):
                ok = True
        if not ok:
            bad += 1
            print("EGRESS VIOLATION: " + line.strip())
    print("%d packets, %d outside the targets" % (n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(sys.argv[2], sys.argv[3])
    else:
        sys.exit(check(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "",
                       sys.argv[5] if len(sys.argv) > 5 else ""))
