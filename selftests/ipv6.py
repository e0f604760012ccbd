#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""IPv6: socket(AF_INET6, SOCK_STREAM, 253), as TCP's AF_INET6 sockets.

Hosts a (10.0.0.1, fd00::1, fe80::1) and b (10.0.0.2, fd00::2, fe80::2)
on a veth pair. The cases: data both ways; one listener on [::] for both
families (v4-mapped peers), IPV6_V6ONLY refusing IPv4, an AF_INET6 client
of an IPv4 server; link-local peers and scope ids; what goes on the wire
(next header 253, the IPv6 pseudo-header checksum, IPV6_TCLASS, one flow
label per connection); ICMPv6 errors (packet too big, unreachable, with
the quoted sequence number checked); RSTs, SYN cookies and TIME-WAIT over
IPv6; sock_diag and genetlink events with IPv6 addresses; options that
belong to the other family."""
import errno
import hashlib
import os
import select
import socket
import struct
import subprocess
import threading
import time

from vtcplib import (A, B, A6, B6, SYN, Sniffer, Tap, case, ns, recv_exactly,
                     sh, stats, sysctl, sysctls, two_hosts, vsock, vtcp_ss)
import vtcpnl

LL_A, LL_B = "fe80::1", "fe80::2"
SOL_VTCP, VTCP_MAXSEG, VTCP_INFO = 253, 2, 11
IPV6_ADDRFORM = 1
IPV6_RECVERR = 25
MSG_ERRQUEUE = 0x2000

tap = Tap()


def setup():
    two_hosts()
    sh("ip -n a addr add %s/64 dev a0 nodad" % LL_A)
    sh("ip -n b addr add %s/64 dev b0 nodad" % LL_B)


def counters(host):
    with ns(host):
        return stats()


def delta(before, after, name):
    return after[name] - before[name]


def v6sock(host, v6only=None):
    with ns(host):
        s = vsock(family=socket.AF_INET6)
    if v6only is not None:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(v6only))
    return s


def listen6(port, addr="::", v6only=None):
    ls = v6sock("b", v6only)
    ls.bind((addr, port))
    ls.listen(16)
    ls.settimeout(5)
    return ls


def connect(host, family, addr, timeout=5):
    with ns(host):
        c = vsock(family=family)
    c.settimeout(timeout)
    c.connect(addr)
    return c


def errno_of(fn):
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0


def both_ways(c, s, n):
    """@n random bytes each way at once: True when both arrive whole."""
    data = [os.urandom(n), os.urandom(n)]
    got = [bytearray(), bytearray()]

    def pump(src, dst, i):
        src.sendall(data[i])
        src.shutdown(socket.SHUT_WR)

    def drain(sock, i):
        while True:
            d = sock.recv(65536)
            if not d:
                return
            got[i] += d

    ts = [threading.Thread(target=f, args=a) for f, a in (
        (pump, (c, s, 0), ), (pump, (s, c, 1)), (drain, (s, 0)),
        (drain, (c, 1)))]
    for t in ts:
        t.start()
    for t in ts:
        t.join(60)
    return [hashlib.sha256(g).digest() for g in got] == \
        [hashlib.sha256(d).digest() for d in data]


def info_of(s):
    return vtcpnl.vtcp_info(s.getsockopt(SOL_VTCP, VTCP_INFO, 512))


# ---------------------------------------------------------------- sockets

@case(3)
def case_data():
    ls = listen6(6001, B6)
    c = connect("a", socket.AF_INET6, (B6, 6001))
    s, peer = ls.accept()
    ls.close()
    tap.ok(c.getsockname()[0] == A6 and c.getpeername()[:2] == (B6, 6001) and
           peer[0] == A6 and s.getsockname()[:2] == (B6, 6001),
           "AF_INET6: connect and accept, both names IPv6",
           (c.getsockname(), c.getpeername(), peer, s.getsockname()))
    s.settimeout(30)
    c.settimeout(30)
    with ns("a"):
        sn = Sniffer("a0")
    tap.ok(both_ways(c, s, 4 << 20), "AF_INET6: 4 MiB each way at once, "
           "every byte in order")
    sn.close()
    mss = c.getsockopt(SOL_VTCP, VTCP_MAXSEG)
    big = max([g.len for g in sn.all(lambda g: g.src == A6)] or [0])
    # Bursts are a millisecond of the rate, two segments at least (as
    # tcp_tso_autosize()): a slow debug guest sees only the floor.
    tap.ok(big >= 2 * mss, "AF_INET6: segmentation offload, bursts of "
           "segments leave as one GSO packet, two segments at least "
           "(largest %d bytes, MSS %d)" % (big, mss))
    c.close()
    s.close()


@case(2)
def case_dual_stack():
    ls = listen6(6002)
    c4 = connect("a", socket.AF_INET, (B, 6002))
    s4, peer4 = ls.accept()
    c6 = connect("a", socket.AF_INET6, (B6, 6002))
    s6, peer6 = ls.accept()
    ls.close()
    tap.ok(peer4[0] == "::ffff:" + A and peer6[0] == A6 and
           s4.getsockname()[0] == "::ffff:" + B,
           "one listener on [::]: an IPv4 peer as ::ffff:10.0.0.1, an IPv6 "
           "peer as fd00::1", (peer4, peer6, s4.getsockname()))
    c4.sendall(b"four" * 1000)
    c6.sendall(b"six!" * 1000)
    got4 = recv_exactly(s4, 4000)
    got6 = recv_exactly(s6, 4000)
    s4.sendall(b"back")
    tap.ok(got4 == b"four" * 1000 and got6 == b"six!" * 1000 and
           recv_exactly(c4, 4) == b"back",
           "one listener on [::]: both connections carry data, the mapped "
           "one as IPv4 on the wire")
    for x in (c4, s4, c6, s6):
        x.close()


@case(1)
def case_v6only():
    ls = listen6(6003, v6only=True)
    e = errno_of(lambda: connect("a", socket.AF_INET, (B, 6003), 3))
    c6 = connect("a", socket.AF_INET6, (B6, 6003))
    s6, _ = ls.accept()
    tap.ok(e == errno.ECONNREFUSED and
           ls.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 1,
           "IPV6_V6ONLY listener on [::]: an IPv4 connect is refused "
           "(ECONNREFUSED), an IPv6 one accepted", errno.errorcode.get(e, e))
    for x in (ls, c6, s6):
        x.close()


@case(2)
def case_mapped_client():
    with ns("b"):
        ls = vsock()
    ls.bind((B, 6004))
    ls.listen(4)
    ls.settimeout(5)
    c = connect("a", socket.AF_INET6, ("::ffff:" + B, 6004))
    s, peer = ls.accept()
    c.sendall(b"mapped")
    tap.ok(c.getsockname()[0] == "::ffff:" + A and peer[0] == A and
           recv_exactly(s, 6) == b"mapped",
           "AF_INET6 client of an IPv4 server (::ffff:10.0.0.2): IPv4 on "
           "the wire, mapped names", (c.getsockname(), peer))
    only = v6sock("a", v6only=True)
    only.settimeout(3)
    e = errno_of(lambda: only.connect(("::ffff:" + B, 6004)))
    tap.eq(errno.errorcode.get(e, e), "ENETUNREACH",
           "IPV6_V6ONLY client to a v4-mapped address: ENETUNREACH, as TCP")
    for x in (ls, c, s, only):
        x.close()


@case(1)
def case_link_local():
    ls = listen6(6005)
    with ns("a"):
        ifindex = socket.if_nametoindex("a0")
    bare = v6sock("a")
    bare.settimeout(3)
    e = errno_of(lambda: bare.connect((LL_B, 6005)))
    c = connect("a", socket.AF_INET6, (LL_B, 6005, 0, ifindex))
    s, peer = ls.accept()
    c.sendall(b"link-local")
    tap.ok(e == errno.EINVAL and peer[0] == LL_A and
           recv_exactly(s, 10) == b"link-local" and
           c.getpeername()[3] == ifindex,
           "link-local peer: no scope id is EINVAL; with one, a connection "
           "on that interface", (errno.errorcode.get(e, e), peer,
                                 c.getpeername()))
    for x in (ls, bare, c, s):
        x.close()


@case(3)
def case_wire():
    """Offloads off: each segment leaves with its own checksum."""
    sh("ip netns exec a ethtool -K a0 tx off tso off gso off "
       "tx-sctp-segmentation off >/dev/null 2>&1; true")
    with ns("b"):
        sn = Sniffer("b0")
    ls = listen6(6006)
    with ns("a"):
        c = vsock(family=socket.AF_INET6)
    c.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x28)
    c.settimeout(5)
    c.connect((B6, 6006))
    s, _ = ls.accept()
    c.sendall(os.urandom(100000))
    recv_exactly(s, 100000)
    mine = sn.wait(lambda g: g.src == A6 and g.dport == 6006, 20)
    sn.close()
    sh("ip netns exec a ethtool -K a0 tx on tso on gso on "
       "tx-sctp-segmentation on >/dev/null 2>&1; true")
    tap.ok(len(mine) >= 20 and all(g.csum_ok for g in mine) and
           mine[0].has(SYN),
           "the wire: next header 253, every checksum right over the IPv6 "
           "pseudo-header (RFC 8200 8.1)", "%d segments, %d bad" % (
               len(mine), sum(not g.csum_ok for g in mine)))
    tap.ok({g.tclass for g in mine} == {0x28},
           "IPV6_TCLASS 0x28: every segment's traffic class, the SYN's too",
           sorted({g.tclass for g in mine}))
    flows = {g.flow for g in mine}
    tap.ok(len(flows) == 1 and flows != {0},
           "one flow label, not 0, for the whole connection (as TCP's "
           "automatic labels)", sorted(flows))
    for x in (ls, c, s):
        x.close()


@case(1)
def case_flow_label_after_rto():
    """A retransmission timeout picks a new flow label (another path, if
    the network hashes on it), as TCP's sk_rethink_txhash(); the tail
    loss probe before it does not."""
    with ns("b"):
        sn = Sniffer("b0")	# sees what b's tc then drops
    ls = listen6(6011)
    c = connect("a", socket.AF_INET6, (B6, 6011))
    s, _ = ls.accept()
    c.sendall(b"x" * 1000)
    recv_exactly(s, 1000)
    drop_at_b(True)
    c.sendall(b"y" * 1000)
    mine = lambda g: g.src == A6 and g.len == 1000 and g.dport == 6011
    # The first copy, the loss probe, two timeouts' resends.
    sent = sn.wait(mine, 4, timeout=15)
    drop_at_b(False)
    got = recv_exactly(s, 1000)
    sn.close()
    labels = [g.flow for g in sent]
    tap.ok(got == b"y" * 1000 and len(labels) == 4 and
           labels[0] == labels[1] and len(set(labels[1:])) == 3,
           "each retransmission timeout changes the flow label; the loss "
           "probe before them keeps it", labels)
    for x in (ls, c, s):
        x.close()


# ---------------------------------------------------------------- ICMPv6

def forge_icmp6(typ, code, sport, dport, seq, info=0, src=A6, dst=B6):
    """From b: an ICMPv6 error to @src quoting a segment @src -> @dst
    (the kernel fills in the checksum of a raw ICMPv6 socket)."""
    quoted = struct.pack("!IHBB16s16s", 6 << 28, 20, 253, 64,
                         socket.inet_pton(socket.AF_INET6, src),
                         socket.inet_pton(socket.AF_INET6, dst))
    quoted += struct.pack("!HHIIBBHHH", sport, dport, seq, 0, 5 << 4, 0x10,
                          65535, 0, 0)
    body = struct.pack("!BBHI", typ, code, 0, info) + quoted
    with ns("b"):
        s = socket.socket(socket.AF_INET6, socket.SOCK_RAW,
                          socket.IPPROTO_ICMPV6)
        s.sendto(body, (src, 0))
        s.close()


@case(3)
def case_packet_too_big():
    ls = listen6(6007)
    c = connect("a", socket.AF_INET6, (B6, 6007))
    s, _ = ls.accept()
    sport = c.getsockname()[1]
    una = info_of(c)["snd_una"]
    mss0 = c.getsockopt(SOL_VTCP, VTCP_MAXSEG)
    before = counters("a")
    forge_icmp6(2, 0, sport, 6007, una + 100000, 1280)
    forge_icmp6(2, 0, sport, 6007, una, 1000)
    time.sleep(0.3)
    mid = counters("a")
    tap.ok(c.getsockopt(SOL_VTCP, VTCP_MAXSEG) == mss0 and
           delta(before, mid, "IcmpOutOfWindow") == 1 and
           delta(before, mid, "PmtuReduced") == 0,
           "packet too big quoting a sequence number not in flight, or "
           "below 1280: ignored, the MSS stays %d" % mss0,
           {k: delta(before, mid, k) for k in
            ("IcmpIn", "IcmpOutOfWindow", "IcmpIgnored", "PmtuReduced")})
    forge_icmp6(2, 0, sport, 6007, una, 1280)
    time.sleep(0.3)
    mss = c.getsockopt(SOL_VTCP, VTCP_MAXSEG)
    after = counters("a")
    tap.ok(mss == 1280 - 40 - 20 - 12 and
           delta(mid, after, "IcmpFragNeeded") == 1 and
           delta(mid, after, "PmtuReduced") == 1,
           "packet too big (1280) quoting snd_una: the MSS falls from %d to "
           "1208 (1280 less IPv6, our header, timestamps)" % mss0,
           "MSS %d" % mss)
    c.sendall(os.urandom(200000))
    tap.ok(len(recv_exactly(s, 200000)) == 200000,
           "200000 bytes arrive after the MSS fell")
    for x in (ls, c, s):
        x.close()


def drop_at_b(on):
    if on:
        sh("ip netns exec b tc qdisc add dev b0 clsact")
        sh("ip netns exec b tc filter add dev b0 ingress protocol ipv6 u32 "
           "match ip6 protocol 253 0xff action drop")
    else:
        sh("ip netns exec b tc qdisc del dev b0 clsact 2>/dev/null; true")


@case(2)
@sysctls("a", rto_initial_ms=3000)
def case_unreachable():
    drop_at_b(True)
    with ns("a"):
        c = vsock(family=socket.AF_INET6)
    c.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
    c.setblocking(False)
    try:
        c.connect((B6, 6008))
    except BlockingIOError:
        pass
    time.sleep(0.2)
    sport, iss = c.getsockname()[1], info_of(c)["snd_una"]
    before = counters("a")
    t0 = time.monotonic()
    forge_icmp6(1, 4, sport, 6008, iss)	# port unreachable
    err = 0
    while time.monotonic() - t0 < 5 and not err:
        err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        took = time.monotonic() - t0
        time.sleep(0.01)
    after = counters("a")
    drop_at_b(False)
    tap.ok(err == errno.ECONNREFUSED and took < 2.5 and
           delta(before, after, "IcmpUnreach") == 1 and
           delta(before, after, "IcmpAborts") == 1,
           "ICMPv6 port unreachable in SYN-SENT: connect() fails at once "
           "(before the SYN's 3 s timer) with ECONNREFUSED "
           "(icmpv6_err_convert), counted",
           "%s after %.2f s, %r" % (errno.errorcode.get(err, err), took,
                                    {k: delta(before, after, k) for k in
                                     ("IcmpIn", "IcmpUnreach", "IcmpAborts",
                                      "IcmpOutOfWindow", "IcmpNoSocket")}))
    try:
        _, anc, _, _ = c.recvmsg(64, 512, MSG_ERRQUEUE)
        ee = struct.unpack("=IBBBB", anc[0][2][:8]) if anc else None
    except OSError as e:
        ee = e.errno
    tap.ok(ee is not None and not isinstance(ee, int) and
           ee[:4] == (errno.ECONNREFUSED, 3, 1, 4),
           "IPV6_RECVERR: MSG_ERRQUEUE holds it (origin ICMP6, type 1, "
           "code 4)", ee)
    c.close()


# ------------------------------------------------------- RST, cookies, TIME-WAIT

@case(1)
def case_refused():
    before = counters("b")
    e = errno_of(lambda: connect("a", socket.AF_INET6, (B6, 6999), 3))
    after = counters("b")
    tap.ok(e == errno.ECONNREFUSED and delta(before, after, "OutRsts") == 1,
           "IPv6 SYN to a closed port: an RST from b's control socket, "
           "ECONNREFUSED", errno.errorcode.get(e, e))


@case(2)
@sysctls("b", syncookies=2)
def case_syncookies():
    """a's link at IPv6's minimum MTU: its SYN says MSS 1220, which IPv6's
    cookie table keeps (IPv4's would round it down to 536)."""
    sh("ip -n a link set a0 mtu 1280")
    before = counters("b")
    ls = listen6(6009)
    c = connect("a", socket.AF_INET6, (B6, 6009))
    c.sendall(b"cookie")
    s, peer = ls.accept()
    ok = recv_exactly(s, 6) == b"cookie" and peer[0] == A6
    mss = s.getsockopt(SOL_VTCP, VTCP_MAXSEG)
    after = counters("b")
    sh("ip -n a link set a0 mtu 1500")
    tap.ok(ok and delta(before, after, "SyncookiesSent") == 1 and
           delta(before, after, "SyncookiesRecv") == 1,
           "SYN cookies over IPv6 (syncookies=2): the ACK's cookie makes the "
           "child, data arrives",
           {k: delta(before, after, k) for k in
            ("SyncookiesSent", "SyncookiesRecv", "SyncookiesFailed")})
    tap.eq(mss, 1220 - 12, "SYN cookies over IPv6: the peer's MSS 1220 is "
           "kept (IPv6's table), the child sends 1208 with timestamps")
    for x in (ls, c, s):
        x.close()


@case(1)
def case_recverr_established():
    """IPV6_RECVERR: an established connection's ICMPv6 error at once, as
    tcp_v6_err(); without it, a soft error only."""
    results = []
    for recverr in (False, True):
        ls = listen6(6012 + recverr)
        c = connect("a", socket.AF_INET6, (B6, 6012 + recverr))
        s, _ = ls.accept()
        if recverr:
            c.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
        forge_icmp6(1, 3, c.getsockname()[1], 6012 + recverr,
                    info_of(c)["snd_una"])	# address unreachable
        time.sleep(0.3)
        p = select.poll()
        p.register(c, select.POLLERR)
        results.append(bool(p.poll(0)))
        results.append(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
        c.sendall(b"still")
        results.append(recv_exactly(s, 5))
        for x in (ls, c, s):
            x.close()
    tap.eq(results, [False, errno.EHOSTUNREACH, b"still",
                     True, errno.EHOSTUNREACH, b"still"],
           "ICMPv6 address unreachable on an established connection: a soft "
           "error without IPV6_RECVERR (SO_ERROR tells it, poll() does "
           "not); with it, POLLERR at once; the connection lives on")


@case(7)
def case_diag_and_events():
    with ns("a"):
        g = vtcpnl.Genl()
        g.subscribe()
        d = vtcpnl.Diag()
    ls = listen6(6010)
    c = connect("a", socket.AF_INET6, (B6, 6010))
    s, _ = ls.accept()
    cm = connect("a", socket.AF_INET6, ("::ffff:" + B, 6010))
    sm, _ = ls.accept()
    sport = c.getsockname()[1]
    six = d.dump(family=socket.AF_INET6)
    four = d.dump(family=socket.AF_INET)
    est = [x for x in six if x.dport == 6010]
    tap.ok(sorted((x.src, x.dst) for x in est) ==
           sorted([(A6, B6), ("::ffff:" + A, "::ffff:" + B)]) and
           not [x for x in four if x.dport == 6010],
           "sock_diag AF_INET6: the IPv6 connection and the mapped one "
           "(::ffff:), none of them in an AF_INET dump", (est, four))
    rows6 = vtcp_ss("a", "-6", "-H")
    rows4 = vtcp_ss("a", "-4", "-H")
    tap.ok(any("[%s]:%d" % (A6, sport) in r and "[%s]:6010" % B6 in r
               for r in rows6) and
           any("[::ffff:%s]:" % A in r for r in rows6) and
           not any("[" in r for r in rows4),
           "vtcp ss -6: [fd00::1]:port and the mapped [::ffff:10.0.0.1]; "
           "vtcp ss -4: none of them", "\n".join(rows6 + ["--"] + rows4))
    f_dst = vtcp_ss("a", "-H", "dst", "[%s]" % B6)
    f_src = vtcp_ss("a", "-H", "src", "fd00::/64")
    f_none = vtcp_ss("a", "-H", "dst", "[fd01::2]")
    tap.ok(len(f_dst) == 1 and "[%s]:%d" % (A6, sport) in f_dst[0] and
           len(f_src) == 1 and f_src == f_dst and not f_none,
           "vtcp ss filters: dst [fd00::2] and src fd00::/64 find the IPv6 "
           "connection (not the mapped one), dst [fd01::2] nothing",
           "\n".join(f_dst + ["--"] + f_src + ["--"] + f_none))
    one = [x for x in est if x.src == A6][0]
    got = d.lookup(one)
    tap.ok(len(got) == 1 and got[0].cookie == one.cookie,
           "sock_diag: one IPv6 socket by its 4-tuple and cookie", got)
    c.close()
    s.close()
    time.sleep(0.3)
    tw = [x for x in d.dump(family=socket.AF_INET6)
          if x.sport == sport and x.state == vtcpnl.TIME_WAIT]
    tap.ok(len(tw) == 1 and tw[0].src == A6 and tw[0].dst == B6,
           "TIME-WAIT over IPv6, in the AF_INET6 dump with its addresses", tw)
    if tw:
        d.destroy(tw[0])
    tap.ok(not [x for x in d.dump(family=socket.AF_INET6)
                if x.sport == sport],
           "SOCK_DESTROY of an IPv6 TIME-WAIT entry")
    evs = [e for e in g.events(0.5) if e.sport == sport]
    states = [e.short() for e in evs if e.type == vtcpnl.EVT_STATE]
    tap.ok(evs and all(e.src == A6 and e.dst == B6 for e in evs) and
           "SYN-SENT>ESTABLISHED:SYNACK" in states,
           "genetlink events of an IPv6 connection carry its IPv6 addresses",
           [repr(e) for e in evs[:4]])
    sm_port = cm.getsockname()[1]
    for x in (cm, sm, ls):
        x.close()
    g.close()
    d.close()
    return sm_port


@case(1)
def case_syn_received():
    """A child whose handshake's last ACK is lost: SYN-RECEIVED in b's
    AF_INET6 dump, with its IPv6 addresses."""
    sh("ip netns exec b tc qdisc add dev b0 clsact")
    sh("ip netns exec b tc filter add dev b0 ingress protocol ipv6 u32 "
       "match ip6 protocol 253 0xff match u8 0x10 0x17 at 53 action drop")
    ls = listen6(6014)
    c = connect("a", socket.AF_INET6, (B6, 6014))
    time.sleep(0.3)
    with ns("b"):
        d = vtcpnl.Diag()
        rows = [x for x in d.dump(family=socket.AF_INET6)
                if x.sport == 6014 and x.state == vtcpnl.SYN_RECV]
        d.close()
    drop_at_b(False)
    tap.ok(len(rows) == 1 and rows[0].src == B6 and rows[0].dst == A6,
           "a SYN-RECEIVED child in the AF_INET6 dump, with its IPv6 "
           "addresses", rows)
    c.close()
    ls.close()


def tool(host, *args, timeout=30):
    return subprocess.run(["ip", "netns", "exec", host] + list(args),
                          capture_output=True, text=True, timeout=timeout)


@case(3)
def case_tools():
    """vtcp monitor, vtcpcat and vtcpperf over IPv6."""
    here = os.path.dirname(os.path.abspath(__file__))
    vtcp = os.path.join(here, "..", "tools", "vtcp", "vtcp")
    cat = os.path.join(here, "..", "tools", "vtcpcat")
    perf = os.path.join(here, "..", "tools", "vtcpperf")
    mon = subprocess.Popen(["ip", "netns", "exec", "a", vtcp, "monitor",
                            "-j"], stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    with ns("b"):
        srv = subprocess.Popen([cat, "-6", "-l", "6015"],
                               stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    r = subprocess.run(["ip", "netns", "exec", "a", cat, "-6", B6, "6015"],
                       input="hello over IPv6\n", capture_output=True,
                       text=True, timeout=10)
    got = srv.communicate(timeout=10)[0]
    time.sleep(0.3)
    mon.terminate()
    events = mon.communicate(timeout=10)[0]
    tap.ok(r.returncode == 0 and got == "hello over IPv6\n",
           "vtcpcat -6: a line from a to b's [::] listener", (r, got))
    tap.ok('"src":"%s"' % A6 in events.replace(" ", "") and
           '"dst":"%s"' % B6 in events.replace(" ", ""),
           "vtcp monitor -j: the connection's events name fd00::1 and "
           "fd00::2", events[:400])
    with ns("b"):
        p = subprocess.Popen([perf, "-s", "-6", "-p", "6016"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    r = tool("a", perf, "-c", B6, "-m", "bulk", "-t", "1", "-p", "6016")
    p.terminate()
    p.wait()
    tap.ok(r.returncode == 0 and "MBps=" in r.stdout,
           "vtcpperf -6: a bulk run over IPv6", r.stdout + r.stderr)


# ---------------------------------------------------------------- options

@case(3)
def case_options():
    x = v6sock("a")
    e = errno_of(lambda: x.setsockopt(socket.IPPROTO_IPV6, IPV6_ADDRFORM,
                                      socket.AF_INET))
    tap.ok(e == errno.EOPNOTSUPP,
           "IPV6_ADDRFORM: EOPNOTSUPP (the kernel knows only TCP's and UDP's "
           "protos to switch to)", errno.errorcode.get(e, e))
    with ns("a"):
        y = vsock()
    e = errno_of(lambda: y.setsockopt(socket.IPPROTO_IPV6,
                                      socket.IPV6_TCLASS, 1))
    tap.eq(errno.errorcode.get(e, e), "ENOPROTOOPT",
           "an IPv6 option on an AF_INET socket: ENOPROTOOPT")
    x.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, 0x10)
    tap.eq(x.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS), 0x10,
           "IPV6_TCLASS set and read back")
    x.close()
    y.close()


@case(1)
def case_proto_param():
    with open("/sys/module/vtcp/parameters/proto") as f:
        proto = int(f.read())
    with ns("a"):
        e = errno_of(lambda: socket.socket(socket.AF_INET6,
                                           socket.SOCK_STREAM, proto).close())
    tap.ok(e == 0, "socket(AF_INET6, SOCK_STREAM, %d): the proto= parameter "
           "serves both families" % proto, errno.errorcode.get(e, e))


# ------------------------------------------------------- Linux TCP as peer

def tcp6():
    return socket.socket(socket.AF_INET6, socket.SOCK_STREAM,
                         socket.IPPROTO_TCP)


def rewrite_tcp_at_a(on):
    """Host a's Linux TCP speaks next header 253 on the wire: out, the
    checksum finished while it is TCP's, then 6 becomes 253 (b takes
    TCP's pseudo-header with accept_tcp_csum); in, 253 becomes 6 and the
    checksum is redone for it. No IPv6 header checksum to fix."""
    if not on:
        sh("ip netns exec a tc qdisc del dev a0 clsact 2>/dev/null; true")
        sh("ip -n a link set dev a0 gso_max_segs 65535")
        return
    sh("ip -n a link set dev a0 gso_max_segs 1")
    sh("ip netns exec a tc qdisc add dev a0 clsact")
    sh("ip netns exec a tc filter add dev a0 egress protocol ipv6 u32 "
       "match ip6 protocol 6 0xff action csum tcp pipe "
       "action pedit ex munge ip6 nexthdr set 253")
    sh("ip netns exec a tc filter add dev a0 ingress protocol ipv6 u32 "
       "match ip6 protocol 253 0xff action pedit ex munge ip6 nexthdr set 6 "
       "pipe action csum tcp")


def exchange(server_ns, server_sock, addr, client_ns, client_sock, n):
    """@n bytes client -> server, the server answers their hash: ok?"""
    data = os.urandom(n)
    got = {}
    with ns(server_ns):
        ls = server_sock()
    ls.bind(addr)
    ls.listen(1)
    ls.settimeout(20)

    def serve():
        try:
            s, peer = ls.accept()
            s.settimeout(30)
            buf = bytearray()
            while chunk := s.recv(65536):
                buf += chunk
            s.sendall(hashlib.sha256(buf).digest())
            s.close()
            got["peer"] = peer[0]
        except OSError as e:
            got["error"] = e

    t = threading.Thread(target=serve)
    t.start()
    with ns(client_ns):
        c = client_sock()
    c.settimeout(30)
    try:
        c.connect(addr)
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        answer = recv_exactly(c, 32)
    except OSError as e:
        answer = repr(e)
    c.close()
    t.join()
    ls.close()
    return answer == hashlib.sha256(data).digest(), got


@case(4)
@sysctls("b", accept_tcp_csum=1)
def case_linux_tcp():
    rewrite_tcp_at_a(True)
    pcap = "/tmp/ipv6-interop.pcap"
    with ns("b"):
        dump = Sniffer("b0", keep_frames=True)
    ok1, got1 = exchange("a", tcp6, (A6, 6020), "b",
                         lambda: vsock(family=socket.AF_INET6), 1 << 20)
    tap.ok(ok1 and got1.get("peer") == B6,
           "IPv6: vtcp client -> Linux TCP server, 1 MiB arrives whole", got1)
    ok2, got2 = exchange("b", lambda: vsock(family=socket.AF_INET6),
                         (B6, 6021), "a", tcp6, 1 << 20)
    tap.ok(ok2 and got2.get("peer") == A6,
           "IPv6: Linux TCP client -> vtcp server, 1 MiB arrives whole", got2)
    e = errno_of(lambda: connect("b", socket.AF_INET6, (A6, 6999), 5))
    tap.ok(e == errno.ECONNREFUSED,
           "IPv6: vtcp to a closed Linux TCP port: Linux's RST, "
           "ECONNREFUSED", errno.errorcode.get(e, e))
    time.sleep(0.3)
    dump.close()
    dump.write_pcap(pcap)
    rewrite_tcp_at_a(False)
    out = subprocess.run(["tshark", "-r", pcap, "-d", "ip.proto==253,tcp",
                          "-T", "fields", "-e", "ipv6.src",
                          "-e", "tcp.flags.str", "-e", "tcp.len",
                          "-e", "tcp.checksum.status",
                          "-o", "tcp.check_checksum:TRUE"],
                         capture_output=True, text=True)
    rows = [r.split("\t") for r in out.stdout.splitlines() if r]
    data = sum(int(r[2] or 0) for r in rows if len(r) > 2)
    flags = sorted({r[1] for r in rows if len(r) > 1})
    tap.ok(out.returncode == 0 and len(rows) > 50 and data >= 2 << 20 and
           any("S" in f for f in flags) and any("R" in f for f in flags),
           "tshark decodes the IPv6 capture as TCP: SYNs, the RST, the "
           "2 MiB (%d segments, %d bytes)" % (len(rows), data),
           "flags seen %r; %s" % (flags, out.stderr[-300:]))


def main():
    setup()
    with ns("a"):
        sysctl("fin_timeout_ms", 1000)
    tap.run([case_data, case_dual_stack, case_v6only, case_mapped_client,
             case_link_local, case_wire, case_flow_label_after_rto,
             case_packet_too_big, case_unreachable, case_refused,
             case_syncookies, case_recverr_established, case_diag_and_events,
             case_syn_received, case_tools, case_options, case_proto_param,
             case_linux_tcp])


main()
