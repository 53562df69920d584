#!/usr/bin/env python3
"""A small identity provider for the t/ suite: serves JWK Sets over HTTP (or HTTPS) on
127.0.0.1, and misbehaves on request, so that tests can see what the module does when the IdP
is slow, down, or answers garbage.

    idp.py --port-file F --log F --dir D [--cert C --key K]

Writes the port it listens on to --port-file, then serves until killed. Every request is
appended to --log as one line "<method> <path>" once the response is complete (or abandoned),
so tests count fetches. The answer is chosen by the first path segment:

    /keys/<file>           200 with D/<file> (rewrite it to rotate keys)
    /slow/<secs>/<file>    the same after <secs> seconds
    /status/<code>         <code> with a small body
    /redirect/<file>       302 to /keys/<file>
    /garbage               200 with a body that is not JSON
    /truncated/<file>      200 announcing the whole file, sending half, then closing
    /big/<bytes>           200 with a JSON body of <bytes> bytes
    /unsized/<bytes>       the same without Content-Length, the end of the body told by
                           closing the connection
    /reset                 closes the connection without an answer
    /gzip/<file>           200 with the file gzip-compressed, Content-Encoding: gzip
    /mode/<file>           the file D/mode (one word) names the behaviour above for <file>,
                           so a test can switch a running IdP between good and bad answers
    /after/<secs>/<rest>   waits <secs> seconds, then answers as /<rest> (a failure that
                           takes a while, so that several requests wait for the same fetch)
"""

import argparse
import gzip
import http.server
import os
import socket
import ssl
import sys
import threading
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def record(self):
            with lock, open(args.log, "a") as log:
                log.write(f"{self.command} {self.path}\n")

        def send(self, code, body, headers=()):
            self.send_response(code)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def file(self, name):
            with open(os.path.join(args.dir, os.path.basename(name)), "rb") as f:
                return f.read()

        def do_GET(self):
            try:
                self.answer(self.path.strip("/").split("/"))
            finally:
                self.record()

        def answer(self, parts):
            kind = parts[0]
            if kind == "after":
                time.sleep(float(parts[1]))
                parts = parts[2:]
                kind = parts[0]
            if kind == "mode":
                with open(os.path.join(args.dir, "mode")) as f:
                    parts = [f.read().strip()] + parts[1:]
                kind = parts[0]
            if kind == "keys":
                self.send(200, self.file(parts[1]), [("Content-Type", "application/json")])
            elif kind == "slow":
                time.sleep(float(parts[1]))
                self.send(200, self.file(parts[2]))
            elif kind == "status":
                self.send(int(parts[1]), b"error\n")
            elif kind == "redirect":
                self.send(302, b"", [("Location", "/keys/" + parts[1])])
            elif kind == "garbage":
                self.send(200, b"<html>this is not a key set</html>")
            elif kind == "truncated":
                body = self.file(parts[1])
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            elif kind == "big":
                size = int(parts[1])
                body = b'{"keys":[],"pad":"' + b"x" * max(0, size - 20) + b'"}'
                self.send(200, body)
            elif kind == "unsized":
                size = int(parts[1])
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"keys":[],"pad":"' + b"x" * max(0, size - 20) + b'"}')
                self.close_connection = True
            elif kind == "reset":
                self.close_connection = True
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
                )
                self.connection.close()
            elif kind == "gzip":
                self.send(200, gzip.compress(self.file(parts[1])), [("Content-Encoding", "gzip")])
            else:
                self.send(404, b"unknown\n")

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(args.cert, args.key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
