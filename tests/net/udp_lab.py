#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""udp_lab.py ADDR KIND:PORT...: UDP services for the -sU lab, each answering the way the
protocol's RFC (or the server it imitates) says, echoing the request's id field.
  dns ntp snmp nbns ssdp mdns memcached bo silent echo
  ssdplog: answers nothing, prints "msearch SECONDS FIRST-LINE" per request (ShieldsUP timing)
Prints "ready" once every port is bound. Test-only: it binds in whatever namespace runs it.
"""
import socket
import select
import struct
import sys
import time


def bo_crypt(data):
    hold, out = 31337, bytearray()
    for ch in data:
        hold = (hold * 214013 + 2531011) & 0xffffffff
        out.append(ch ^ ((hold >> 16) & 0xff))
    return bytes(out)


def skip_name(d, off):
    while d[off]:
        off += d[off] + 1
    return off + 1


def dns(req):
    if len(req) < 12:
        return None
    qend = skip_name(req, 12) + 4
    q = req[12:qend]
    txt = b"9.18.24-lab"
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 16, 3, 0, len(txt) + 1) + bytes([len(txt)]) + txt
    return req[:2] + b"\x84\x00" + struct.pack(">HHHH", 1, 1, 0, 0) + q + rr


def mdns(req):
    if len(req) < 12:
        return None
    qend = skip_name(req, 12) + 4
    q = req[12:qend]
    name = b"\x05_http\x04_tcp\x05local\x00"
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 12, 1, 10, len(name)) + name
    return req[:2] + b"\x84\x00" + struct.pack(">HHHH", 1, 1, 0, 0) + q + rr


def ntp(req):
    if len(req) < 48:
        return None
    # Server mode, version 4, stratum 2; origin timestamp = the request's transmit timestamp.
    return (b"\x24\x02\x06\xe9" + b"\x00" * 8 + b"LAB\x00" + b"\x00" * 8 + req[40:48] +
            b"\x00" * 16)


def ber(tag, body):
    n = len(body)
    return bytes([tag]) + (bytes([n]) if n < 128 else bytes([0x81, n])) + body


def snmp(req):
    # Walk the request just enough to get version and request-id (our probes' layout).
    if len(req) < 21 or req[0] != 0x30:
        return None
    version = req[4]
    clen = req[6]
    pdu = 7 + clen
    rid = req[pdu + 4:pdu + 4 + req[pdu + 3]]
    oid = bytes.fromhex("2b06010201010100")
    descr = b"Linux lab 6.1.0 #1 SMP x86_64"
    vb = ber(0x30, ber(0x30, ber(0x06, oid) + ber(0x04, descr)))
    body = ber(0x02, rid) + ber(0x02, b"\x00") + ber(0x02, b"\x00") + vb
    return ber(0x30, ber(0x02, bytes([version])) + ber(0x04, b"public") + ber(0xa2, body))


def nbns(req):
    if len(req) < 50:
        return None
    names = [(b"LABHOST", 0x00, 0x0400), (b"WORKGROUP", 0x00, 0x8400), (b"LABHOST", 0x20, 0x0400)]
    data = bytes([len(names)])
    for n, suffix, flags in names:
        data += n.ljust(15, b" ") + bytes([suffix]) + struct.pack(">H", flags)
    data += b"\x00" * 46  # statistics
    return (req[:2] + b"\x84\x00" + struct.pack(">HHHH", 0, 1, 0, 0) + req[12:46] +
            struct.pack(">HHIH", 0x21, 1, 0, len(data)) + data)


def ssdp(req):
    if not req.startswith(b"M-SEARCH"):
        return None
    return (b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
            b"LOCATION: http://198.51.100.7:49152/rootDesc.xml\r\n"
            b"SERVER: Linux/6.1 UPnP/1.1 MiniUPnPd/2.3.3\r\nST: upnp:rootdevice\r\n"
            b"USN: uuid:00000000-0000-0000-0000-00000000cafe::upnp:rootdevice\r\n\r\n")


def memcached(req):
    if len(req) < 8:
        return None
    return req[:2] + b"\x00\x00\x00\x01\x00\x00" + b"VERSION 1.6.21\r\n"


def bo(req):
    plain = bo_crypt(req)
    if not plain.startswith(b"*!*QWTY?") or len(plain) < 17 or plain[16] != 1:
        return None
    data = b"  !PONG!1.20!LABHOST!\x00"
    pkt = b"*!*QWTY?" + struct.pack("<II", 17 + len(data) + 1, 1) + b"\x01" + data + b"\x00"
    return bo_crypt(pkt)


def ssdplog(req):
    first = req.split(b"\r\n", 1)[0].decode("ascii", "replace")
    print("msearch %.3f %s" % (time.monotonic(), first), flush=True)
    return None


def echo(req):
    return req or b"\x00"


HANDLERS = {"dns": dns, "ntp": ntp, "snmp": snmp, "nbns": nbns, "ssdp": ssdp, "mdns": mdns,
            "memcached": memcached, "bo": bo, "echo": echo, "ssdplog": ssdplog, "silent": lambda req: None}


def main():
    addr = sys.argv[1]
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    socks = {}
    for spec in sys.argv[2:]:
        kind, port = spec.split(":")
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.bind((addr, int(port)))
        socks[s] = HANDLERS[kind]
    print("ready", flush=True)
    while True:
        ready, _, _ = select.select(list(socks), [], [])
        for s in ready:
            req, peer = s.recvfrom(4096)
            try:
                reply = socks[s](req)
            except (IndexError, struct.error):
                reply = None
            if reply:
                s.sendto(reply, peer)


if __name__ == "__main__":
    main()
