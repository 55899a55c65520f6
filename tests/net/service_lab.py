#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""service_lab.py CERT KEY KIND:PORT...: real-looking servers for the service-identification lab.

Each KIND answers the way the server it imitates does (greetings typed from the protocols' RFCs
and the servers' documented banners), so identification runs against realistic replies:
  ftp ssh ssh-dropbear smtp http-apache http-python pop3 imap imaps mysql redis https-nginx
  vnc memcached netbus labecho silent endless garbage (and https-nginx-plain: the same
  page without TLS)
Prints "ready" once every port listens. Test-only: it listens on whatever namespace runs it.
"""
import asyncio
import os
import ssl
import struct
import sys

HTTP_PAGE = b"<html><head><title>%s</title></head><body>lab</body></html>"


def http_reply(server, title):
    body = HTTP_PAGE % title
    return (b"HTTP/1.1 200 OK\r\nServer: " + server + b"\r\nContent-Type: text/html\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" +
            body)


def mysql_greeting():
    # Protocol 10 handshake (MySQL client/server protocol, "Initial Handshake Packet").
    payload = (b"\x0a" + b"8.0.36-0+deb12u1\x00" + struct.pack("<I", 11) + b"abcdefgh\x00" +
               struct.pack("<H", 0xffff) + b"\xff" + struct.pack("<H", 2) +
               struct.pack("<H", 0xdfff) + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00" +
               b"caching_sha2_password\x00")
    return struct.pack("<I", len(payload))[:3] + b"\x00" + payload


async def read_head(reader):
    """Reads an HTTP request head; None when the peer goes away first."""
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = await reader.read(4096)
        if not chunk:
            return None
        data += chunk
    return data


async def line_server(reader, writer, banner, answer):
    """Greets, then answers each line with answer(line) until the peer closes."""
    writer.write(banner)
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            return
        reply = answer(line)
        if reply is None:
            return
        writer.write(reply)
        await writer.drain()


def smtp_answer(line):
    verb = line.strip().split(b" ")[0].upper()
    if verb in (b"EHLO", b"HELO"):
        return b"250-mail.lab.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
    if verb == b"QUIT":
        return None
    return b"502 5.5.2 Error: command not recognized\r\n"


async def redis(reader, writer):
    while True:
        data = await reader.read(4096)
        if not data:
            return
        up = data.upper()
        if b"INFO" in up:
            info = b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux\r\n"
            writer.write(b"$%d\r\n%s\r\n" % (len(info), info))
        elif up.startswith(b"GET "):
            writer.write(b"-ERR wrong number of arguments for 'get' command\r\n")
        elif b"PING" in up:
            writer.write(b"+PONG\r\n")
        else:
            writer.write(b"-ERR unknown command\r\n")
        await writer.drain()


async def memcached(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            return
        if line.strip() == b"version":
            writer.write(b"VERSION 1.6.18\r\n")
        else:
            writer.write(b"ERROR\r\n")
        await writer.drain()


async def endless(reader, writer):
    # A tarpit in the manner of endlessh: a random banner line every 100 ms, forever. (At
    # full speed nmap -sV buffers without a cap: it passed 1.9 GB in 12 minutes.)
    while True:
        writer.write(os.urandom(24).hex().encode() + b"\r\n")
        await writer.drain()
        await asyncio.sleep(0.1)


async def garbage(reader, writer):
    writer.write(os.urandom(300).replace(b"\n", b"\x00"))
    await writer.drain()
    while await reader.read(4096):
        pass


async def silent(reader, writer):
    while await reader.read(4096):
        pass


async def http(reader, writer, server, title):
    if await read_head(reader) is not None:
        writer.write(http_reply(server, title))
        await writer.drain()


def handler(kind):
    greet = {
        "ftp": (b"220 (vsFTPd 3.0.3)\r\n", lambda l: b"500 Unknown command.\r\n"),
        "pop3": (b"+OK Dovecot (Debian) ready.\r\n", lambda l: b"-ERR Unknown command.\r\n"),
        "imap": (b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE "
                 b"LITERAL+ AUTH=PLAIN] Dovecot (Debian) ready.\r\n",
                 lambda l: b"* BAD Error in IMAP command received by server.\r\n"),
        "smtp": (b"220 mail.lab.example ESMTP Postfix (Debian/GNU)\r\n", smtp_answer),
        "ssh": (b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", lambda l: None),
        "ssh-alt": (b"SSH-2.0-OpenSSH_8.4p1 Debian-5+deb11u3\r\n", lambda l: None),
        "ssh-dropbear": (b"SSH-2.0-dropbear_2022.83\r\n", lambda l: None),
        "vnc": (b"RFB 003.008\n", lambda l: None),
        "netbus": (b"NetBus 1.70\r\n", lambda l: b""),
        # SubSeven 2.x's greeting, on a port that is not SubSeven's: the protocol counts.
        "subseven": (b"connected. 10:35 - 1/12/2026, winver: 4.10.2222, ver: Legends 2.1\r\n",
                     lambda l: b""),
        "mysql": (mysql_greeting(), lambda l: None),
        "labecho": (b"", lambda l: b"LAB-ECHO 2.5\r\n" if l.startswith(b"HELLO LAB") else None),
    }
    kind = "imap" if kind == "imaps" else kind
    if kind in greet:
        banner, answer = greet[kind]
        return lambda r, w: line_server(r, w, banner, answer)
    return {
        "http-apache": lambda r, w: http(r, w, b"Apache/2.4.62 (Debian)", b"Lab Apache"),
        "http-python": lambda r, w: http(r, w, b"BaseHTTP/0.6 Python/3.11.2", b"Lab Python"),
        "https-nginx": lambda r, w: http(r, w, b"nginx/1.22.1", b"Lab TLS"),
        "https-nginx-plain": lambda r, w: http(r, w, b"nginx/1.22.1", b"Lab TLS"),
        "redis": redis,
        "memcached": memcached,
        "endless": endless,
        "garbage": garbage,
        "silent": silent,
    }[kind]


def wrap(fn):
    async def run(reader, writer):
        try:
            await fn(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, OSError):
            pass
        finally:
            writer.close()
    return run


async def main():
    cert, key, specs = sys.argv[1], sys.argv[2], sys.argv[3:]
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    servers = []
    for spec in specs:
        kind, port = spec.split(":")
        use_tls = tls if kind in ("imaps", "https-nginx") else None
        servers.append(await asyncio.start_server(wrap(handler(kind)), None, int(port),
                                                  ssl=use_tls, reuse_address=True,
                                                  backlog=256))
    print("ready", flush=True)
    await asyncio.gather(*(s.serve_forever() for s in servers))


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
