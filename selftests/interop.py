#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Linux TCP as the reference peer. Host a runs Linux TCP; tc on its veth
rewrites protocol 6 to 253 on the way out and back on the way in (with the
checksum fixes that needs), so host b's vtcp talks to it. b accepts the
checksum Linux computed with protocol 6 (accept_tcp_csum). Both
directions: handshake, data both ways by hash, teardown from either side,
RST on a closed port; the capture decodes as TCP in tshark, with
SACK-permitted, timestamps and window scale in every SYN and SYN-ACK, and
each side keeps within the other's scaled window; and through duplicated
segments, each side's D-SACK blocks are read by the other.

Over IPv4, or IPv6 with VTCP_FAMILY=6: then Linux TCP is IPv6's
(AF_INET6), tc rewrites the IPv6 header's next header (which has no
checksum of its own to fix), and the MSS options fit the link less
IPv6's 40-byte header (1440)."""
import hashlib
import os
import socket
import subprocess
import threading
import time

from vtcplib import (ACK, AF, IP_HLEN, SYN, V6, Tap, addr, case, mss, ns,
                     parse_options, pcap_segs, seq_add, sh, stats, sysctl,
                     two_hosts, vsock)

SIZE = 2 << 20
tap = Tap(family=True)
A, B = addr("a"), addr("b")		# the hosts in this run's family
two_hosts()
pcap = "/tmp/interop.pcap"

# Host a speaks protocol 253 on the wire (Documentation/testing.rst,
# "Linux TCP as the peer"): IPv6 has no header checksum to fix.
sh("ip -n a link set dev a0 gso_max_segs 1")
sh("ip netns exec a tc qdisc add dev a0 clsact")
if V6:
    sh("ip netns exec a tc filter add dev a0 egress protocol ipv6 u32 "
       "match ip6 protocol 6 0xff action csum tcp pipe "
       "action pedit ex munge ip6 nexthdr set 253")
    sh("ip netns exec a tc filter add dev a0 ingress protocol ipv6 u32 "
       "match ip6 protocol 253 0xff action pedit ex munge ip6 nexthdr "
       "set 6 pipe action csum tcp")
else:
    sh("ip netns exec a tc filter add dev a0 egress protocol ip u32 "
       "match ip protocol 6 0xff action csum tcp pipe "
       "action pedit ex munge ip protocol set 253 pipe action csum ip4h")
    sh("ip netns exec a tc filter add dev a0 ingress protocol ip u32 "
       "match ip protocol 253 0xff action pedit ex munge ip protocol set 6 "
       "pipe action csum ip4h tcp")
with ns("b"):
    sysctl("accept_tcp_csum", 1)
    sysctl("msl_ms", 500)


IP = "ip6" if V6 else "ip"		# tcpdump's words for the family


def capture(host, dev, path, match=IP + " proto 253"):
    """tcpdump of @match on @dev of @host into @path, started."""
    p = subprocess.Popen(["ip", "netns", "exec", host, "tcpdump", "-i", dev,
                          "-U", "-B", "16384", "-s", str(76 + IP_HLEN), "-w",
                          path, match],
                         stderr=subprocess.PIPE, text=True)
    p.stderr.readline()			# "listening on ...": capturing now
    return p


dump = capture("b", "b0", pcap)
# Also on a0 (after the rewrite out, before it in): the connection where
# Linux TCP sends to vtcp's port 8002, as Linux's sender sees the windows.
pcap_a = "/tmp/interop-a.pcap"
dump_a = capture("a", "a0", pcap_a, "%s proto 253 and (%s[%d:2] = 8002 or "
                 "%s[%d:2] = 8002)" % (IP, IP, 40 if V6 else 20, IP,
                                       42 if V6 else 22))


def tcp():
    return socket.socket(AF, socket.SOCK_STREAM, socket.IPPROTO_TCP)


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


def tshark(path):
    return subprocess.run(["tshark", "-r", path, "-d", "ip.proto==253,tcp",
                           "-T", "fields", "-e", "tcp.flags.str",
                           "-e", "tcp.srcport", "-e", "tcp.dstport",
                           "-e", "tcp.len", "-e", "tcp.options.mss_val",
                           "-e", "ipv6.src" if V6 else "ip.src",
                           "-e", "tcp.options.sack_perm",
                           "-e", "tcp.options.timestamp.tsval",
                           "-e", "tcp.options.wscale.shift", "-e", "tcp.seq",
                           "-e", "tcp.ack", "-e", "tcp.window_size",
                           "-e", "tcp.analysis.bytes_in_flight"],
                          capture_output=True, text=True)


def handshake_options(rows, server_port):
    """The options tshark found in the SYN and SYN-ACK to @server_port."""
    syn = [r for r in rows if "S" in r[0] and "A" not in r[0] and
           r[2] == str(server_port)]
    synack = [r for r in rows if "S" in r[0] and "A" in r[0] and
              r[1] == str(server_port)]
    return [(r[5], bool(r[6]), bool(r[7]), r[8]) for r in syn[:1] + synack[:1]]


def window_kept(rows, server_port, sender):
    """Data from @sender (an address) on the connection to @server_port, as
    tshark decoded it: the most bytes in flight, the bytes sent beyond the
    right edge the receiver had advertised (its largest ack + scaled
    window so far), and the largest window it offered."""
    edge, flight, beyond, wins = 0, 0, 0, []
    for r in rows:
        if server_port not in (int(r[1]), int(r[2])):
            continue
        if r[5] != sender:
            if r[10] and r[11]:
                edge = max(edge, int(r[10]) + int(r[11]))
                wins.append(int(r[11]))
        elif int(r[3] or 0):
            flight = max(flight, int(r[12] or 0))
            beyond = max(beyond, int(r[9]) + int(r[3]) - edge)
    return flight, beyond, max(wins or [0])


def window_used(segs, sender):
    """The same from segments captured at @sender (one connection): the
    sender's own view of its bytes in flight and of the peer's window."""
    synack = [x for x in segs if x.src != sender and x.is_(SYN | ACK)]
    shift = parse_options(synack[0].options).get("wscale", 0) if synack else 0
    edge = hi = una = None
    flight = beyond = top = raw = 0
    for x in segs:
        if x.src != sender and x.has(ACK):
            win = x.win if x.has(SYN) else x.win << shift
            top = max(top, win)
            if not x.has(SYN):
                raw = max(raw, x.win)
            if edge is None or sdiff(seq_add(x.ack, win), edge) > 0:
                edge = seq_add(x.ack, win)
            if una is None or sdiff(x.ack, una) > 0:
                una = x.ack
        elif x.src == sender and x.len:
            end = seq_add(x.seq, x.len)
            if hi is None or sdiff(end, hi) > 0:
                hi = end
            if edge is not None:
                beyond = max(beyond, sdiff(end, edge))
        if hi is not None and una is not None:
            flight = max(flight, sdiff(hi, una))
    return flight, beyond, top, raw


def sdiff(a, b):
    d = (a - b) & 0xFFFFFFFF
    return d - (1 << 32) if d >= 1 << 31 else d


def linux_stat(host, name):
    """Linux's counter @name (nstat) in @host's namespace."""
    out = subprocess.run(["ip", "netns", "exec", host, "nstat", "-azs", name],
                         capture_output=True, text=True).stdout
    return sum(int(f[1]) for f in (l.split() for l in out.splitlines())
               if len(f) > 1 and f[0] == name)


@case(4)
def transfers():
    """2 MiB each way, vtcp as the client, then as the server."""
    direction("vtcp client -> Linux TCP server", "a", tcp, (A, 8001), "b",
              vsock)
    # 20 ms on the way back: a path holding more than 64 KiB, which Linux
    # can only fill if it scales vtcp's window.
    sh("ip netns exec b tc qdisc add dev b0 root netem delay 20ms "
       "limit 10000")
    direction("Linux TCP client -> vtcp server", "b", vsock, (B, 8002), "a",
              tcp)
    sh("ip netns exec b tc qdisc del dev b0 root")


@case(2)
def refusals():
    tap.eq(refused("b", vsock, (A, 8999)), 111,
           "vtcp connect to a closed Linux TCP port: ECONNREFUSED")
    tap.eq(refused("a", tcp, (B, 8999)), 111,
           "Linux TCP connect to a closed vtcp port: ECONNREFUSED")


@case(2)
def teardowns():
    tap.ok(teardown("vtcp"),
           "teardown started by vtcp: half-close, data, EOF both ways")
    tap.ok(teardown("tcp"),
           "teardown started by Linux TCP: half-close, data, EOF both ways")


# The connections whose SYN and SYN-ACK options tshark checks: (server
# port, who connects to whom)
HANDSHAKES = ((8001, "vtcp -> Linux TCP"), (8002, "Linux TCP -> vtcp"))


@case(5 + len(HANDSHAKES) + 2)
def the_capture():
    """What tshark and the segments captured on a0 show of the connections
    so far."""
    last = -1				# let tcpdump catch up before it stops
    while os.path.getsize(pcap) + os.path.getsize(pcap_a) != last:
        last = os.path.getsize(pcap) + os.path.getsize(pcap_a)
        time.sleep(1)
    for d in (dump, dump_a):
        d.terminate()
        d.wait()
    out = tshark(pcap)
    rows = [l.split("\t") for l in out.stdout.splitlines() if l]
    flags = [r[0] for r in rows]
    tap.ok(out.returncode == 0 and len(rows) > 100,
           "tshark decodes the capture as TCP (%d segments)" % len(rows),
           out.stderr)
    syns = [r for r in rows if "S" in r[0]]
    tap.ok(len(syns) >= 8 and all(r[4] for r in syns),
           "tshark: every SYN and SYN-ACK carries an MSS option", syns)
    tap.ok(any("F" in f for f in flags) and any("R" in f for f in flags),
           "tshark: FINs of the teardowns and RSTs of the refusals are there")
    data = sum(int(r[3] or 0) for r in rows)
    tap.ok(data >= 4 * SIZE, "tshark: the 4 x 2 MiB add up (%d bytes)" % data)
    tap.ok(all("S" not in r[0] or r[4] in ("", None) or
               64 <= int(r[4]) <= mss() for r in rows),
           "tshark: MSS options fit the 1500-byte link (at most %d)" % mss())
    for port, who in HANDSHAKES:
        got = handshake_options(rows, port)
        tap.ok(len(got) == 2 and
               all(sp and ts and ws != "" for _, sp, ts, ws in got),
               "tshark: %s: SYN and SYN-ACK both carry SACK-permitted, "
               "timestamps and window scale" % who,
               "(src, sack_perm, ts, wscale): %r" % got)
    segs_a = pcap_segs(pcap_a)
    # Scaled: Linux had more in flight than any window field said
    # unscaled (how far its window grows depends on the machine's speed,
    # not on vtcp).
    flight, beyond, win, raw = window_used(segs_a, A)
    tap.ok(len(segs_a) > 100 and win > 65535 and flight > raw and beyond <= 0,
           "on a0: Linux TCP sending to vtcp uses vtcp's scaled window: vtcp "
           "offers up to %d bytes (fields up to %d), Linux has up to %d in "
           "flight, %d beyond it (%d segments)" %
           (win, raw, flight, max(beyond, 0), len(segs_a)))
    flight, beyond, win = window_kept(rows, 8001, B)
    tap.ok(beyond <= 0 and flight > 0,
           "tshark on b0: vtcp sending to Linux TCP keeps within Linux's "
           "scaled window (up to %d offered, %d in flight, %d beyond)" %
           (win, flight, max(beyond, 0)))


# D-SACK (RFC 2883) both ways: netem duplicates segments on both veths,
# so each receiver gets data twice and says so; each sender must read it.
# vtcp's side duplicates more: netem copies its bursts (GSO) whole, about
# 70 for 2 MiB, where Linux's leave a0 one segment each.
LINUX_DSACK = ("TcpExtTCPDSACKRecv", "TcpExtTCPDSACKOldSent",
               "TcpExtTCPDSACKOfoSent")


@case(4)
def dsack():
    linux0 = {k: linux_stat("a", k) for k in LINUX_DSACK}
    with ns("b"):
        vtcp0 = stats()
    for host, dup in (("a", 5), ("b", 15)):
        sh("ip netns exec %s tc qdisc add dev %s0 root netem duplicate %d%% "
           "limit 10000" % (host, host, dup))
    direction("D-SACK, segments duplicated both ways", "a", tcp, (A, 8005),
              "b", vsock)
    for host in ("a", "b"):
        sh("ip netns exec %s tc qdisc del dev %s0 root" % (host, host))
    linux = {k: linux_stat("a", k) - linux0[k] for k in LINUX_DSACK}
    with ns("b"):
        vtcp = {k: v - vtcp0.get(k, 0) for k, v in stats().items()}
    tap.ok(vtcp["DSackSent"] > 0 and linux["TcpExtTCPDSACKRecv"] > 0,
           "D-SACK: vtcp reports what Linux sent twice, and Linux reads it "
           "(vtcp DSackSent +%d, Linux TCPDSACKRecv +%d)" %
           (vtcp["DSackSent"], linux["TcpExtTCPDSACKRecv"]))
    sent = linux["TcpExtTCPDSACKOldSent"] + linux["TcpExtTCPDSACKOfoSent"]
    tap.ok(sent > 0 and vtcp["DSackRecv"] > 0,
           "D-SACK: Linux reports what vtcp sent twice, and vtcp reads it "
           "(Linux TCPDSACK*Sent +%d, vtcp DSackRecv +%d)" %
           (sent, vtcp["DSackRecv"]))


tap.run([transfers, refusals, teardowns, the_capture, dsack])
