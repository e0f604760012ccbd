#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Linux TCP as the reference peer. Host a runs Linux TCP; tc on its veth
rewrites protocol 6 to 253 on the way out and back on the way in (with the
checksum fixes that needs), so host b's vtcp talks to it. b accepts the
checksum Linux computed with protocol 6 (accept_tcp_csum). Both
directions: handshake, data both ways by hash, teardown from either side,
RST on a closed port; the capture decodes as TCP in tshark."""
import hashlib
import os
import socket
import subprocess
import threading
import time

from vtcplib import A, B, Tap, ns, sh, sysctl, two_hosts, vsock

SIZE = 2 << 20
tap = Tap(14)
two_hosts()
pcap = "/tmp/interop.pcap"

# Host a speaks protocol 253 on the wire (see ../shared/README.md).
sh("ip -n a link set dev a0 gso_max_segs 1")
sh("ip netns exec a tc qdisc add dev a0 clsact")
sh("ip netns exec a tc filter add dev a0 egress protocol ip u32 "
   "match ip protocol 6 0xff action csum tcp pipe "
   "action pedit ex munge ip protocol set 253 pipe action csum ip4h")
sh("ip netns exec a tc filter add dev a0 ingress protocol ip u32 "
   "match ip protocol 253 0xff action pedit ex munge ip protocol set 6 "
   "pipe action csum ip4h tcp")
with ns("b"):
    sysctl("accept_tcp_csum", 1)
    sysctl("msl_ms", 500)
dump = subprocess.Popen(["ip", "netns", "exec", "b", "tcpdump", "-i", "b0",
                         "-U", "-B", "16384", "-s", "96", "-w", pcap,
                         "ip proto 253"], stderr=subprocess.PIPE, text=True)
dump.stderr.readline()			# "listening on b0": capturing now


def tcp():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)


def serve_hash(ls, result):
    """Accept one, read to EOF, answer with the data's hash and more data."""
    s, _ = ls.accept()
    s.settimeout(60)
    got = []
    while chunk := s.recv(65536):
        got.append(chunk)
    reply = os.urandom(SIZE)
    s.sendall(hashlib.sha256(b"".join(got)).digest() + reply)
    result["reply"] = hashlib.sha256(reply).digest()
    s.close()


def client_exchange(c, addr):
    data = os.urandom(SIZE)
    c.settimeout(60)
    c.connect(addr)
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    got = []
    while chunk := c.recv(65536):
        got.append(chunk)
    got = b"".join(got)
    c.close()
    return got[:32] == hashlib.sha256(data).digest(), got[32:]


def direction(name, server_ns, server_sock, server_addr, client_ns, client_sock):
    result = {}
    with ns(server_ns):
        ls = server_sock()
        ls.bind(server_addr)
        ls.listen(1)
        ls.settimeout(30)
    t = threading.Thread(target=serve_hash, args=(ls, result))
    t.start()
    with ns(client_ns):
        c = client_sock()
        try:
            sent_ok, reply = client_exchange(c, server_addr)
        except OSError as e:
            sent_ok, reply = False, b""
            tap.msg("%s: %s" % (name, e))
    t.join()
    ls.close()
    tap.ok(sent_ok, "%s: 2 MiB client->server arrive intact (server's hash)" % name)
    tap.ok(hashlib.sha256(reply).digest() == result.get("reply"),
           "%s: 2 MiB server->client arrive intact" % name)


direction("vtcp client -> Linux TCP server", "a", tcp, (A, 8001), "b", vsock)
direction("Linux TCP client -> vtcp server", "b", vsock, (B, 8002), "a", tcp)


def refused(client_ns, sock, addr):
    with ns(client_ns):
        c = sock()
        c.settimeout(10)
        try:
            c.connect(addr)
            return "connected"
        except OSError as e:
            return e.errno
        finally:
            c.close()


tap.eq(refused("b", vsock, (A, 8999)), 111,
       "vtcp connect to a closed Linux TCP port: ECONNREFUSED")
tap.eq(refused("a", tcp, (B, 8999)), 111,
       "Linux TCP connect to a closed vtcp port: ECONNREFUSED")


def teardown(closer):
    """Connect TCP (a) to vtcp (b); @closer closes first; both see EOF."""
    with ns("b"):
        ls = vsock()
        ls.bind((B, 8003 if closer == "vtcp" else 8004))
        ls.listen(1)
    with ns("a"):
        c = tcp()
        c.settimeout(10)
        c.connect((B, ls.getsockname()[1]))
    s, _ = ls.accept()
    s.settimeout(10)
    first, second = (s, c) if closer == "vtcp" else (c, s)
    first.shutdown(socket.SHUT_WR)
    eof = second.recv(10) == b""
    second.sendall(b"last words")
    second.shutdown(socket.SHUT_WR)
    words = first.recv(100)
    eof2 = first.recv(10) == b""
    for x in (c, s, ls):
        x.close()
    return eof and words == b"last words" and eof2


tap.ok(teardown("vtcp"), "teardown started by vtcp: half-close, data, EOF both ways")
tap.ok(teardown("tcp"), "teardown started by Linux TCP: half-close, data, EOF both ways")

last = -1				# let tcpdump catch up before it stops
while os.path.getsize(pcap) != last:
    last = os.path.getsize(pcap)
    time.sleep(1)
dump.terminate()
dump.wait()
out = subprocess.run(["tshark", "-r", pcap, "-d", "ip.proto==253,tcp",
                      "-T", "fields", "-e", "tcp.flags.str", "-e", "tcp.srcport",
                      "-e", "tcp.dstport", "-e", "tcp.len",
                      "-e", "tcp.options.mss_val"],
                     capture_output=True, text=True)
rows = [l.split("\t") for l in out.stdout.splitlines() if l]
flags = [r[0] for r in rows]
tap.ok(out.returncode == 0 and len(rows) > 100,
       "tshark decodes the capture as TCP (%d segments)" % len(rows), out.stderr)
syns = [r for r in rows if "S" in r[0]]
tap.ok(len(syns) >= 8 and all(r[4] for r in syns),
       "tshark: every SYN and SYN-ACK carries an MSS option", syns)
tap.ok(any("F" in f for f in flags) and any("R" in f for f in flags),
       "tshark: FINs of the teardowns and RSTs of the refusals are there")
data = sum(int(r[3] or 0) for r in rows)
tap.ok(data >= 4 * SIZE, "tshark: the 4 x 2 MiB add up (%d bytes)" % data)
tap.ok(all("S" not in r[0] or r[4] in ("", None) or 64 <= int(r[4]) <= 1460
           for r in rows), "tshark: MSS options fit the 1500-byte link")
tap.finish()
