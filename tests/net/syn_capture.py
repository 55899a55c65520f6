#!/usr/bin/env python3
"""TCP capture for the namespace lab (no tcpdump needed).

  syn_capture.py capture FILE IFACE
        record every IPv4 TCP segment arriving on IFACE (AF_PACKET), one line each:
        "TIME SRC:SPORT DST:DPORT FLAGS SEQ" (TIME in seconds, the kernel's receive stamp),
        until SIGTERM; "ready" is written to FILE.ready once listening, and the last line
        is "stats drops=N" (the kernel's count of packets the capture missed)
  syn_capture.py rate FILE WINDOW_MS
        the lowest number of SYNs per second over the capture's full windows of WINDOW_MS
        (the first and the last window left out: the scan starts and ends in them)
"""
import signal
import socket
import struct
import sys

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
SO_RCVBUFFORCE = 33
SO_TIMESTAMPNS = 35
FLAGS = [(0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x10, "A")]


def segment(frame):
    if len(frame) < 34 or struct.unpack("!H", frame[12:14])[0] != 0x0800:
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 6 or len(ip) < ihl + 20:
        return None
    tcp = ip[ihl:]
    sport, dport, seq = struct.unpack("!HHI", tcp[:8])
    flags = "".join(letter for bit, letter in FLAGS if tcp[13] & bit)
    return "%s:%d %s:%d %s %d" % (socket.inet_ntoa(ip[12:16]), sport,
                                 socket.inet_ntoa(ip[16:20]), dport, flags, seq)


def capture(path, iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    out = open(path, "w", buffering=1 << 16)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s.settimeout(0.1)
    open(path + ".ready", "w").write("ready\n")
    while True:
        try:
            frame, anc, _, _ = s.recvmsg(2048, 64)
        except socket.timeout:
            if stop:
                break  # told to stop, and nothing left in the socket's buffer
            continue
        except InterruptedError:
            continue
        line = segment(frame)
        if line is None:
            continue
        stamp = 0.0
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                sec, nsec = struct.unpack("qq", data[:16])
                stamp = sec + nsec / 1e9
        out.write("%.6f %s\n" % (stamp, line))
    stats = s.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
    out.write("stats drops=%d\n" % struct.unpack("II", stats)[1])
    out.close()


def rate(path, window_ms):
    times = [float(l.split()[0]) for l in open(path)
             if not l.startswith("stats") and l.split()[3] == "S"]
    if not times:
        print(0)
        return
    width = window_ms / 1000.0
    counts = {}
    for t in times:
        counts[int((t - times[0]) / width)] = counts.get(int((t - times[0]) / width), 0) + 1
    last = max(counts)
    inner = [counts.get(i, 0) for i in range(1, last)]
    print(int(min(inner) / width) if inner else 0)


if __name__ == "__main__":
    if sys.argv[1] == "capture":
        capture(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "rate":
        rate(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
