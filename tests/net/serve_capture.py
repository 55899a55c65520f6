#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve_capture.py OUT: every probe that arrives in this namespace, one line per packet,
flushed at once: a TCP SYN (without ACK) as "dst dport", a UDP datagram as "dst dport/udp", an
ICMP or ICMPv6 echo request as "dst echo" (AF_PACKET, so no tcpdump is needed). Runs until
killed. The SYN engine sends with PACKET_QDISC_BYPASS, which skips the packet taps of the
sending namespace, so the serve test runs this at the far end of every link the server
namespace has: together they see everything it sends."""
import socket
import struct
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4

def main():
    out = open(sys.argv[1], 'w', buffering=1)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    print('ready', flush=True)
    while True:
        data, addr = s.recvfrom(65535)
        if addr[2] == PACKET_OUTGOING or addr[0] == 'lo':
            continue
        if len(data) < 14:
            continue
        eth = struct.unpack('!H', data[12:14])[0]
        p = data[14:]
        if eth == 0x0800 and len(p) >= 20:
            proto = p[9]
            dst = socket.inet_ntop(socket.AF_INET, p[16:20])
            tcp = p[(p[0] & 15) * 4:]
        elif eth == 0x86dd and len(p) >= 40:
            proto = p[6]
            dst = socket.inet_ntop(socket.AF_INET6, p[24:40])
            tcp = p[40:]
        else:
            continue
        if proto == 17 and len(tcp) >= 8:
            out.write('%s %d/udp\n' % (dst, struct.unpack('!H', tcp[2:4])[0]))
            continue
        if (proto == 1 and tcp[:1] == b'\x08') or (proto == 58 and tcp[:1] == b'\x80'):
            out.write('%s echo\n' % dst)
            continue
        if proto != 6 or len(tcp) < 14:
            continue
        flags = tcp[13]
        if flags & 0x02 and not flags & 0x10:
            out.write('%s %d\n' % (dst, struct.unpack('!H', tcp[2:4])[0]))

if __name__ == '__main__':
    main()
