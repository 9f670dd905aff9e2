#!/usr/bin/python3
"""A raw-socket HTTP server that misbehaves on purpose, for the error paths
of weft's HTTP client (the faults an HTTP framework will not produce).

usage: http_faults.py [--host H] [--port N]

Port 0 picks an ephemeral port. Once listening, the first line written to
stdout is the base URL ("http://127.0.0.1:PORT"). Each connection reads one
request head and answers by its path:
  /ok             200, "ok\\n", then closes
  /hang           reads the request, never answers (the connection stays open)
  /stall-headers  sends the status line and one header, then nothing
  /garbage        "SSH-2.0-OpenSSH_9.2\\r\\n" instead of a status line, closes
  /huge-header    a 1 MiB header line, then closes
  /many-headers   1000 headers of 1 KiB each, then closes
  /reset-headers  a complete header block (Content-Length: 100), 10 body
                  bytes, then RST after 0.2 s
anything else: 404.
"""
import argparse
import socket
import struct
import sys
import threading
import time


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    line = data.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split(" ")
    return parts[1] if len(parts) >= 2 else "/"


def hold(conn):
    """Keep the connection open until the client goes away."""
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def answer(conn, path):
    if path == "/ok":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")
    elif path == "/hang":
        hold(conn)
    elif path == "/stall-headers":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n")
        hold(conn)
    elif path == "/garbage":
        conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
    elif path == "/huge-header":
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-Huge: " + b"h" * (1 << 20) + b"\r\n\r\n")
    elif path == "/many-headers":
        line = b"X-Many-%d: " + b"m" * 1024 + b"\r\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\n" + b"".join(line % i for i in range(1000)) + b"\r\n")
    elif path == "/reset-headers":
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
        time.sleep(0.2)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    else:
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def serve_one(conn):
    try:
        path = read_head(conn)
        if path is not None:
            answer(conn, path)
    except OSError:
        pass
    finally:
        conn.close()


def main():
    ap = argparse.ArgumentParser(description="misbehaving HTTP server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((args.host, args.port))
    srv.listen(128)
    sys.stdout.write("http://%s:%d\n" % (args.host, srv.getsockname()[1]))
    sys.stdout.flush()
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve_one, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
