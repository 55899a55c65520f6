#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""serve_capture.py OUT: every TCP SYN (without ACK) that arrives in this namespace, one line
"dst dport" per packet, flushed at once (AF_PACKET, so no tcpdump is needed). Runs until
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
        if eth == 0x0800 and len(p) >= 20 and p[9] == 6:
            ihl = (p[0] & 15) * 4
            dst = socket.inet_ntop(socket.AF_INET, p[16:20])
            tcp = p[ihl:]
        elif eth == 0x86dd and len(p) >= 40 and p[6] == 6:
            dst = socket.inet_ntop(socket.AF_INET6, p[24:40])
            tcp = p[40:]
        else:
            continue
        if len(tcp) < 14:
            continue
        flags = tcp[13]
        if flags & 0x02 and not flags & 0x10:
            out.write('%s %d\n' % (dst, struct.unpack('!H', tcp[2:4])[0]))

if __name__ == '__main__':
    main()
