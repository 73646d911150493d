#!/usr/bin/env python3
"""A webhook peer for tests/http_client.rs: a well-behaved recorder, or one of the hostile
servers the client must survive. Started by the test, killed by pid.

    peer.py MODE [--bind HOST] [--tls CERT KEY] [--status N] [--body TEXT] [--to URL]
            [--header "NAME: VALUE"]

Prints "PORT <n>" once listening. Writes one JSON line per event to --log: "accept" from
the accepting thread (so accepts are logged in the order they happened), "request" with
the request line, headers, body and time (monotonic seconds), "tls-error" when a TLS handshake fails. An accept
names the client's port, so a test can tell its own marker connection apart.

Modes:
  record          read the request, log it, answer --status (200) with --body (and
                  --header)
  never           read the request, never answer (the connection stays open)
  trickle-head    send a 503 head one byte every 50 ms, forever (a 2xx status line
                  would be taken as delivered at once)
  trickle-body    send a 500 head announcing 1 MB, then one body byte every 50 ms
  big             send a --status (500) head announcing 100 MB, and the 100 MB
  endless         send a 500 head with no length, then bytes until the client goes
  endless-header  send a 503 status line, then one header line that never ends
  redirect-loop   302 to the very URL requested
  redirect-fresh  302 to a new path each time (/fresh/1, /fresh/2, ...)
  redirect-to     302 to --to
  reset           read the request, then reset the connection (RST)
  garbage         read the request, answer bytes that are not HTTP
  folded-2xx      answer 200 with a folded (obsolete line-folding) header
  two-lengths-2xx answer 200 with two Content-Length values that differ
  blank-line-2xx  answer 200 after a leading blank line (CRLF), sent in two pieces
"""
import argparse
import json
import socket
import ssl
import struct
import sys
import threading
import time

LOG_LOCK = threading.Lock()
FRESH = [0]


def log(out, **event):
    with LOG_LOCK:
        out.write(json.dumps(event) + "\n")
        out.flush()


def read_request(conn):
    """Reads one request head and its Content-Length body; None if the client went."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        body += chunk
    return {"line": lines[0], "headers": headers, "body": body.decode("utf-8", "replace")}


def send_forever(conn, piece, pause=0.0):
    """Sends `piece` until the client closes (or resets) the connection."""
    try:
        while True:
            conn.sendall(piece)
            if pause:
                time.sleep(pause)
    except OSError:
        pass


def hold(conn):
    """Keeps the connection open until the client closes it."""
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def answer(conn, status, body, extra=""):
    payload = body.encode()
    conn.sendall(
        f"HTTP/1.1 {status} X\r\n{extra}Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
        + payload
    )


def handle(conn, args, out):
    req = read_request(conn)
    if req is None:
        return
    log(out, event="request", t=time.monotonic(), **req)
    mode = args.mode
    if mode == "record":
        extra = f"{args.header}\r\n" if args.header else ""
        answer(conn, args.status or 200, args.body, extra)
    elif mode == "never":
        hold(conn)
    elif mode == "trickle-head":
        conn.sendall(b"HTTP/1.1 503 Busy\r\n")
        send_forever(conn, b"X", 0.05)
    elif mode == "trickle-body":
        conn.sendall(b"HTTP/1.1 500 Slow\r\nContent-Length: 1000000\r\n\r\n")
        send_forever(conn, b"x", 0.05)
    elif mode == "big":
        size = 100 * 1024 * 1024
        conn.sendall(f"HTTP/1.1 {args.status or 500} Big\r\nContent-Length: {size}\r\n\r\n".encode())
        piece = b"x" * 65536
        try:
            for _ in range(size // len(piece)):
                conn.sendall(piece)
        except OSError:
            pass
    elif mode == "endless":
        conn.sendall(b"HTTP/1.1 500 Endless\r\nConnection: close\r\n\r\n")
        send_forever(conn, b"y" * 65536)
    elif mode == "endless-header":
        conn.sendall(b"HTTP/1.1 503 Busy\r\nX-Endless: ")
        send_forever(conn, b"a" * 4096)
    elif mode == "redirect-loop":
        target = req["line"].split(" ")[1]
        answer(conn, 302, "", f"Location: {target}\r\n")
    elif mode == "redirect-fresh":
        with LOG_LOCK:
            FRESH[0] += 1
            n = FRESH[0]
        answer(conn, 302, "", f"Location: /fresh/{n}\r\n")
    elif mode == "redirect-to":
        answer(conn, 302, "", f"Location: {args.to}\r\n")
    elif mode == "reset":
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    elif mode == "folded-2xx":
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Note: a\r\n folded\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    elif mode == "two-lengths-2xx":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok")
    elif mode == "blank-line-2xx":
        conn.sendall(b"\r\n")
        time.sleep(0.05)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    elif mode == "garbage":
        conn.sendall(b"SSH-2.0-OpenSSH_9.2p1\r\n\x00\x01\x02\xff")
        hold(conn)


def serve(conn, args, out, tls):
    try:
        if tls is not None:
            try:
                conn = tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log(out, event="tls-error", error=str(e))
                return
        handle(conn, args, out)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode")
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--status", type=int)
    p.add_argument("--body", default="")
    p.add_argument("--to", default="")
    p.add_argument("--header", default="")
    p.add_argument("--log", required=True)
    args = p.parse_args()
    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls[0], args.tls[1])
    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((args.bind, 0))
    listener.listen(128)
    out = open(args.log, "a", encoding="utf-8")
    print(f"PORT {listener.getsockname()[1]}", flush=True)
    while True:
        conn, addr = listener.accept()
        log(out, event="accept", peer_port=addr[1])
        threading.Thread(target=serve, args=(conn, args, out, tls), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(0)
