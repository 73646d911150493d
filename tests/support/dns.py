#!/usr/bin/env python3
"""A DNS server for tests/resolver.rs: answers A and AAAA queries for the names it is
given, over UDP and TCP, in the way a test asks. Started by the test (inside a network
namespace the test made, where it may take port 53), killed by pid.

    dns.py MODE --log FILE [--bind ADDR]... [--port N] [--name NAME=ADDR]...

Prints "PORT <n>" once every socket listens. Writes one JSON line per query to --log:
{"proto": "udp"|"tcp", "to": <the server address asked>, "name": "hook.test",
"type": "A"|"AAAA"|<number>}.

Modes:
  answer    answer in full over UDP and TCP
  truncate  over UDP answer with the TC bit set and no records (the answer "does not
            fit"), in full over TCP only: what makes a resolver fall back to TCP
  nxdomain  answer every query NXDOMAIN
  silent    never answer (UDP queries are read and dropped; TCP connections held open)

A name not given is NXDOMAIN; a given name without an address of the asked family has
no records (NOERROR, empty answer).
"""
import argparse
import ipaddress
import json
import socket
import struct
import sys
import threading

LOG_LOCK = threading.Lock()
TYPES = {1: "A", 28: "AAAA"}
FLAG_QR, FLAG_TC, FLAG_RD, FLAG_RA = 0x8000, 0x0200, 0x0100, 0x0080
RCODE_NXDOMAIN = 3


def log(out, **event):
    with LOG_LOCK:
        out.write(json.dumps(event) + "\n")
        out.flush()


def parse_query(msg):
    """(id, flags, question bytes, name, qtype), or None when it is not a query."""
    if len(msg) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount < 1:
        return None
    labels, at = [], 12
    while at < len(msg) and msg[at] != 0:
        n = msg[at]
        labels.append(msg[at + 1 : at + 1 + n].decode("ascii", "replace"))
        at += 1 + n
    end = at + 5
    if end > len(msg):
        return None
    qtype = struct.unpack("!H", msg[at + 1 : at + 3])[0]
    return qid, flags, msg[12:end], ".".join(labels).lower(), qtype


def records(names, name, qtype):
    """The rdata of every address of `name` that answers `qtype`; None if unknown."""
    if name not in names:
        return None
    want = 4 if qtype == 1 else 6 if qtype == 28 else 0
    return [a.packed for a in names[name] if a.version == want]


def reply(query, names, mode, proto):
    qid, flags, question, name, qtype = query
    out_flags = FLAG_QR | FLAG_RA | (flags & FLAG_RD)
    found = None if mode == "nxdomain" else records(names, name, qtype)
    answers = b""
    if found is None:
        out_flags |= RCODE_NXDOMAIN
        found = []
    if mode == "truncate" and proto == "udp":
        out_flags |= FLAG_TC
        found = []
    for rdata in found:
        answers += struct.pack("!HHHIH", 0xC00C, qtype, 1, 60, len(rdata)) + rdata
    head = struct.pack("!HHHHHH", qid, out_flags, 1, len(found), 0, 0)
    return head + question + answers


def serve_udp(sock, args, names, out):
    while True:
        msg, peer = sock.recvfrom(4096)
        query = parse_query(msg)
        if query is None:
            continue
        to = sock.getsockname()[0]
        log(out, proto="udp", to=to, name=query[3], type=TYPES.get(query[4], query[4]))
        if args.mode != "silent":
            sock.sendto(reply(query, names, args.mode, "udp"), peer)


def read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def serve_tcp_conn(conn, args, names, out):
    try:
        while True:
            size = read_exact(conn, 2)
            if size is None:
                return
            msg = read_exact(conn, struct.unpack("!H", size)[0])
            query = parse_query(msg or b"")
            if query is None:
                return
            to = conn.getsockname()[0]
            log(out, proto="tcp", to=to, name=query[3], type=TYPES.get(query[4], query[4]))
            if args.mode == "silent":
                continue
            answer = reply(query, names, args.mode, "tcp")
            conn.sendall(struct.pack("!H", len(answer)) + answer)
    except OSError:
        pass
    finally:
        conn.close()


def serve_tcp(listener, args, names, out):
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve_tcp_conn, args=(conn, args, names, out), daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["answer", "truncate", "nxdomain", "silent"])
    p.add_argument("--log", required=True)
    p.add_argument("--bind", action="append")
    p.add_argument("--port", type=int, default=53)
    p.add_argument("--name", action="append", default=[])
    args = p.parse_args()
    names = {}
    for item in args.name:
        name, _, addr = item.partition("=")
        names.setdefault(name.lower().rstrip("."), []).append(ipaddress.ip_address(addr))
    out = open(args.log, "a", encoding="utf-8")
    threads = []
    for addr in args.bind or ["127.0.0.1"]:
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        udp = socket.socket(family, socket.SOCK_DGRAM)
        udp.bind((addr, args.port))
        tcp = socket.socket(family, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((addr, args.port))
        tcp.listen(64)
        threads.append(threading.Thread(target=serve_udp, args=(udp, args, names, out), daemon=True))
        threads.append(threading.Thread(target=serve_tcp, args=(tcp, args, names, out), daemon=True))
    for t in threads:
        t.start()
    print(f"PORT {args.port}", flush=True)
    for t in threads:
        t.join()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
