#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""RFC 9293's states, each reached and left as the RFC says, between host a
(10.0.0.1) and host b (10.0.0.2), or fd00::1 and fd00::2 with
VTCP_FAMILY=6: the three-way handshake, the four-way teardown from
either side, half-close, simultaneous open and close, RST processing
(RFC 5961), a connect to a closed port, and a new SYN that ends
TIME-WAIT (RFC 6191). Every case asserts on the segments a sniffer on a0
saw (flags, sequence and acknowledgment numbers, options) and on
per-namespace counters, not on sleeps."""
import errno
import select
import socket
import struct
import time

from vtcplib import (ACK, FIN, RST, SYN, Sniffer, Tap, case,
                     connected_pair, inject, ns, recv_exactly, segment,
                     sysctl, sysctls, two_hosts, vsock)
from vtcplib import listener, netem, seq_add, stat, wait_stat
from vtcplib import make_options, parse_options, vtcp_states
from vtcplib import RawPeer, route_raw_peer, wait_after
from vtcplib import addr, mss

A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)

MTU = 1500
MSL_MS = 300			# TIME-WAIT lasts 0.6 s: nothing outlives the test
DELAY_MS = 300			# one-way netem delay that makes SYNs/FINs cross

tap = Tap(family=True)
two_hosts(mtu=MTU)
route_raw_peer()
for _h in ("a", "b"):
    with ns(_h):
        sysctl("msl_ms", MSL_MS)


def recv_or_errno(sock):
    try:
        return sock.recv(100)
    except OSError as e:
        return e.errno if e.errno is not None else type(e).__name__


def conn(sport, dport):
    """A predicate: segments of the connection between these two ports."""
    return lambda x: {x.sport, x.dport} == {sport, dport}


def mss_option(seg):
    """(kind, len, value) of the first MSS option, or None."""
    o, i = seg.options, 0
    while i < len(o):
        if o[i] == 0:
            break
        if o[i] == 1:
            i += 1
            continue
        if i + 1 >= len(o) or o[i + 1] < 2:
            break
        if o[i] == 2:
            val = struct.unpack("!H", o[i + 2:i + 4])[0] if o[i + 1] == 4 \
                else None
            return (o[i], o[i + 1], val)
        i += o[i + 1]
    return None


# ---------------------------------------------------------------- cases


@case(4)
def handshake():
    port = 7101
    with ns("a"):
        sn = Sniffer("a0")
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    cp = c.getsockname()[1]
    mine = conn(cp, port)
    syn = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN))
    synack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN | ACK))
    ok = bool(syn and synack) and synack[0].ack == seq_add(syn[0].seq, 1)
    tap.ok(ok, "handshake: a's SYN is answered by b's SYN-ACK with "
           "ack = SYN.seq + 1", str(sn))
    ack = []
    if syn and synack:
        ack = sn.wait(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                      x.ack == seq_add(synack[0].seq, 1))
    tap.ok(bool(ack) and ack[0].seq == seq_add(syn[0].seq, 1) and
           ack[0].len == 0,
           "handshake: a completes it with an ACK <SEQ=SYN.seq+1>"
           "<ACK=SYN-ACK.seq+1>", str(sn))
    opt = mss_option(syn[0]) if syn else None
    tap.ok(opt is not None and opt[:2] == (2, 4) and opt[2] is not None and
           536 <= opt[2] <= mss(MTU),
           "handshake: the SYN carries an MSS option (kind 2, len 4) that "
           "fits the veth MTU %d (<= %d)" % (MTU, mss(MTU)),
           "option %r in %r" % (opt, syn[0].options if syn else None))
    try:
        c.sendall(b"ping")
        got_b = recv_exactly(s, 4)
        s.sendall(b"pong!")
        got_a = recv_exactly(c, 5)
    except OSError as e:
        got_a = got_b = e
    tap.ok(got_b == b"ping" and got_a == b"pong!",
           "handshake: both ends are ESTABLISHED: accept() returned and "
           "data passes both ways", "a got %r, b got %r" % (got_a, got_b))
    c.close()
    s.close()
    sn.close()


@case(4)
def teardown(active, port):
    """Four-way teardown started by @active ("a" or "b")."""
    passive = "b" if active == "a" else "a"
    who = "from the %s side (%s closes first)" % (
        "client" if active == "a" else "server", active)
    tw0 = {h: stat(h, "TimeWaitCreated") for h in ("a", "b")}
    with ns("a"):
        sn = Sniffer("a0")
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    cp = c.getsockname()[1]
    mine = conn(cp, port)
    # Some data each way, so that the FINs' numbers are not just ISS + 1.
    c.sendall(b"a" * 300)
    recv_exactly(s, 300)
    s.sendall(b"b" * 200)
    recv_exactly(c, 200)
    syn = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN))
    synack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN | ACK))
    if not (syn and synack):
        for _ in range(4):
            tap.ok(False, "teardown %s: handshake not seen" % who, str(sn))
        c.close()
        s.close()
        sn.close()
        return
    nxt = {A: seq_add(syn[0].seq, 1 + 300), B: seq_add(synack[0].seq, 1 + 200)}
    src1, src2 = (A, B) if active == "a" else (B, A)
    first, second = (c, s) if active == "a" else (s, c)

    first.close()
    fin1 = sn.wait(lambda x: mine(x) and x.src == src1 and x.has(FIN))
    ack1 = sn.wait(lambda x: mine(x) and x.src == src2 and x.is_(ACK) and
                   bool(fin1) and x.ack == seq_add(fin1[0].seq, 1))
    tap.ok(bool(fin1) and bool(ack1) and fin1[0].is_(FIN | ACK) and
           fin1[0].seq == nxt[src1] and fin1[0].ack == nxt[src2] and
           ack1[0].seq == nxt[src2],
           "teardown %s: %s sends FIN <SEQ=its SND.NXT><ACK=all received>, "
           "%s ACKs it (ack = FIN.seq + 1)" % (who, active, passive), str(sn))

    eof = recv_or_errno(second)
    second.close()
    fin2 = sn.wait(lambda x: mine(x) and x.src == src2 and x.has(FIN))
    ack2 = sn.wait(lambda x: mine(x) and x.src == src1 and x.is_(ACK) and
                   bool(fin2) and x.ack == seq_add(fin2[0].seq, 1))
    tap.ok(eof == b"" and bool(fin1) and bool(fin2) and bool(ack2) and
           fin2[0].is_(FIN | ACK) and fin2[0].seq == nxt[src2] and
           fin2[0].ack == seq_add(fin1[0].seq, 1) and
           ack2[0].seq == seq_add(fin1[0].seq, 1),
           "teardown %s: %s reads EOF (CLOSE-WAIT), its close() sends FIN "
           "<SEQ=SND.NXT><ACK=FIN1+1> (LAST-ACK), %s's last ACK acks it" %
           (who, passive, active), "recv: %r\n%s" % (eof, str(sn)))

    tw_active = wait_stat(active, "TimeWaitCreated", tw0[active])
    tap.eq(tw_active - tw0[active], 1,
           "teardown %s: %s, the active closer, enters TIME-WAIT "
           "(TimeWaitCreated +1 in %s)" % (who, active, active))

    # The passive closer went from LAST-ACK to CLOSED: it holds nothing for
    # the 4-tuple, so a segment of the old connection gets an RST from it.
    time.sleep(0.1)
    tw_passive = stat(passive, "TimeWaitCreated") - tw0[passive]
    n_rst = len(sn.all(lambda x: mine(x) and x.src == src2 and x.has(RST)))
    if fin1 and fin2:
        sp, dp = (cp, port) if passive == "b" else (port, cp)
        with ns(active):
            inject(src1, src2, segment(src1, src2, sp, dp,
                                       seq_add(fin1[0].seq, 1),
                                       seq_add(fin2[0].seq, 1), flags=ACK,
                                       payload=b"late"))
    rst = sn.wait(lambda x: mine(x) and x.src == src2 and x.has(RST),
                  count=n_rst + 1, timeout=3)
    tap.ok(tw_passive == 0 and len(rst) == n_rst + 1,
           "teardown %s: %s, the passive closer, does not enter TIME-WAIT "
           "(TimeWaitCreated unchanged) and answers a late segment with RST"
           % (who, passive),
           "TimeWaitCreated delta %d\n%s" % (tw_passive, str(sn)))
    sn.close()


def covers_exactly(segs, start, length):
    """Do @segs' bytes cover [start, start + length) and nothing else? A
    segment may come twice: a loaded host can delay an ACK past the tail
    loss probe's two round trips."""
    at = 0
    for lo, n in sorted(((x.seq - start) % (1 << 32), x.len) for x in segs):
        if lo > at:
            return False
        at = max(at, lo + n)
    return at == length


@case(4)
def half_close():
    port = 7104
    tw0 = stat("a", "TimeWaitCreated")
    with ns("a"):
        sn = Sniffer("a0")
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    cp = c.getsockname()[1]
    mine = conn(cp, port)
    c.shutdown(socket.SHUT_WR)
    fin = sn.wait(lambda x: mine(x) and x.src == A and x.has(FIN))
    ack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(ACK) and
                  bool(fin) and x.ack == seq_add(fin[0].seq, 1))
    eof = recv_or_errno(s)
    tap.ok(bool(fin) and bool(ack) and eof == b"",
           "half-close: shutdown(SHUT_WR) on a sends a FIN, b ACKs it "
           "(a: FIN-WAIT-2) and reads EOF (b: CLOSE-WAIT)",
           "recv on b: %r\n%s" % (eof, str(sn)))
    try:
        c.send(b"x")
        err = 0
    except OSError as e:
        err = e.errno
    tap.eq(err, errno.EPIPE, "half-close: a can no longer send (EPIPE)")

    data = bytes(range(256)) * 40		# 10240 bytes, several segments
    try:
        s.sendall(data)
        got = recv_exactly(c, len(data))
    except OSError as e:
        got = e
    end = seq_add(fin[0].ack, len(data)) if fin else None
    dsegs = acked = []
    if fin:
        acked = sn.wait(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                        x.ack == end and x.seq == seq_add(fin[0].seq, 1))
        # Every data segment b sent after a's FIN acknowledges that FIN.
        dsegs = sn.all(lambda x: mine(x) and x.src == B and x.len > 0)
    tap.ok(got == data and bool(fin) and
           covers_exactly(dsegs, fin[0].ack, len(data)) and
           all(x.ack == seq_add(fin[0].seq, 1) for x in dsegs) and
           bool(acked),
           "half-close: b in CLOSE-WAIT still sends %d bytes; a in "
           "FIN-WAIT-2 receives them all and ACKs them" % len(data),
           "got %s bytes (%s), %d data segments, final ACK seen: %s\n%s" %
           (len(got) if isinstance(got, bytes) else got,
            "intact" if got == data else "differs", len(dsegs), bool(acked),
            str(sn)))

    s.close()
    finb = sn.wait(lambda x: mine(x) and x.src == B and x.has(FIN))
    lastack = sn.wait(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                      bool(finb) and x.ack == seq_add(finb[0].seq, 1))
    eof_a = recv_or_errno(c)
    tw = wait_stat("a", "TimeWaitCreated", tw0)
    tap.ok(bool(finb) and finb[0].seq == end and bool(lastack) and
           eof_a == b"" and tw == tw0 + 1,
           "half-close: b's close() sends FIN <SEQ=after its data>, a ACKs "
           "it, reads EOF and enters TIME-WAIT",
           "recv on a: %r, TimeWaitCreated +%d\n%s" % (eof_a, tw - tw0,
                                                       str(sn)))
    c.close()
    sn.close()


@case(6)
@sysctls(("a", "b"), rto_initial_ms=3000)	# no SYN retransmission
def simultaneous():
    """Simultaneous open, then simultaneous close, on the same connection."""
    pa, pb = 6001, 6002
    netem("delay %dms" % DELAY_MS)
    mine = conn(pa, pb)
    with ns("a"):
        sn = Sniffer("a0")
        ca = vsock()
        ca.bind((A, pa))
        ca.setblocking(False)
    with ns("b"):
        cb = vsock()
        cb.bind((B, pb))
        cb.setblocking(False)
    ra = ca.connect_ex((B, pb))
    rb = cb.connect_ex((A, pa))
    pending = {ca, cb}
    end = time.monotonic() + 10
    while pending and time.monotonic() < end:
        w = select.select([], list(pending), [], 0.5)[1]
        pending -= set(w)
    ea = ca.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    eb = cb.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    tap.ok(ra == rb == errno.EINPROGRESS and not pending and ea == eb == 0,
           "simultaneous open: both non-blocking connect()s succeed",
           "connect_ex a=%s b=%s, still pending %d, SO_ERROR a=%s b=%s" %
           (ra, rb, len(pending), ea, eb))

    syna = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN))
    synb = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN))
    saa = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN | ACK))
    sab = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN | ACK))
    ok = bool(syna and synb and saa and sab)
    if ok:
        segs = sn.all(mine)
        idx = {id(x): i for i, x in enumerate(segs)}
        ok = (max(idx[id(syna[0])], idx[id(synb[0])]) <
              min(idx[id(saa[0])], idx[id(sab[0])]) and
              saa[0].seq == syna[0].seq and sab[0].seq == synb[0].seq and
              saa[0].ack == seq_add(synb[0].seq, 1) and
              sab[0].ack == seq_add(syna[0].seq, 1))
    tap.ok(ok, "simultaneous open: two crossing SYNs, then a SYN-ACK from "
           "each side (same seq as its SYN, ack = the other SYN + 1)",
           str(sn))

    ca.setblocking(True)
    cb.setblocking(True)
    ca.settimeout(5)
    cb.settimeout(5)
    try:
        ca.sendall(b"from a")
        cb.sendall(b"from b")
        got_b = recv_exactly(cb, 6)
        got_a = recv_exactly(ca, 6)
    except OSError as e:
        got_a = got_b = e
    tap.ok(got_a == b"from b" and got_b == b"from a",
           "simultaneous open: data passes both ways",
           "a got %r, b got %r" % (got_a, got_b))

    # Simultaneous close: both FINs leave before either arrives.
    tw0 = {h: stat(h, "TimeWaitCreated") for h in ("a", "b")}
    ca.shutdown(socket.SHUT_WR)
    cb.shutdown(socket.SHUT_WR)
    fina = sn.wait(lambda x: mine(x) and x.src == A and x.has(FIN))
    finb = sn.wait(lambda x: mine(x) and x.src == B and x.has(FIN))
    tap.ok(bool(fina and finb) and fina[0].ack == finb[0].seq and
           finb[0].ack == fina[0].seq,
           "simultaneous close: the FINs cross (each FIN's ack does not "
           "cover the other's FIN: both sides sent theirs first)", str(sn))
    acka = acks = []
    if fina and finb:
        acka = sn.wait(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                       x.ack == seq_add(finb[0].seq, 1) and
                       x.seq == seq_add(fina[0].seq, 1))
        acks = sn.wait(lambda x: mine(x) and x.src == B and x.is_(ACK) and
                       x.ack == seq_add(fina[0].seq, 1) and
                       x.seq == seq_add(finb[0].seq, 1))
    eofs = (recv_or_errno(ca), recv_or_errno(cb))
    tap.ok(bool(acka) and bool(acks) and eofs == (b"", b""),
           "simultaneous close: each side ACKs the other's FIN from CLOSING "
           "and reads EOF", "recv: %r\n%s" % (eofs, str(sn)))
    tw = {h: wait_stat(h, "TimeWaitCreated", tw0[h]) for h in ("a", "b")}
    tap.ok(tw["a"] == tw0["a"] + 1 and tw["b"] == tw0["b"] + 1,
           "simultaneous close: both sides go from CLOSING to TIME-WAIT "
           "(TimeWaitCreated +1 in a and in b)",
           "a +%d, b +%d" % (tw["a"] - tw0["a"], tw["b"] - tw0["b"]))
    ca.close()
    cb.close()
    sn.close()
    netem("")


@case(4)
def rst_processing():
    port = 7106
    with ns("a"):
        sn = Sniffer("a0")
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    cp = c.getsockname()[1]
    mine = conn(cp, port)
    c.sendall(b"x" * 10)
    recv_exactly(s, 10)
    s.sendall(b"y" * 20)
    recv_exactly(c, 20)
    syn = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN))
    synack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN | ACK))
    if not (syn and synack):
        for _ in range(4):
            tap.ok(False, "RST processing: handshake not seen", str(sn))
        return
    a_nxt = seq_add(syn[0].seq, 11)		# a's SND.NXT
    b_nxt = seq_add(synack[0].seq, 21)		# a's RCV.NXT
    time.sleep(0.1)				# delayed ACKs are out
    last = sn.all(lambda x: mine(x) and x.src == A)
    wnd = last[-1].win if last else 0
    off = max(1, min(1000, wnd // 2))

    def challenge_acks_after(n0):
        return sn.wait(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                       x.seq == a_nxt and x.ack == b_nxt, count=n0 + 1,
                       timeout=3)

    def alive(tag):
        try:
            s.sendall(tag)
            got = recv_exactly(c, len(tag))
            c.sendall(tag)
            got2 = recv_exactly(s, len(tag))
        except OSError as e:
            return e
        return got == tag and got2 == tag

    # 1. An RST inside the window but not at RCV.NXT: challenge ACK only.
    ca0 = stat("a", "ChallengeAcks")
    rst0 = stat("a", "InRsts")
    n0 = len(sn.all(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                    x.seq == a_nxt and x.ack == b_nxt))
    with ns("b"):
        inject(B, A, segment(B, A, port, cp, seq_add(b_nxt, off), flags=RST))
    acks = challenge_acks_after(n0)
    ca1 = wait_stat("a", "ChallengeAcks", ca0, timeout=2)
    tap.ok(len(acks) == n0 + 1 and ca1 == ca0 + 1,
           "RST in window, SEQ = RCV.NXT+%d: a sends a challenge ACK "
           "<SEQ=SND.NXT><ACK=RCV.NXT> (ChallengeAcks +1)" % off,
           "window %d, ChallengeAcks +%d\n%s" % (wnd, ca1 - ca0, str(sn)))
    ok = alive(b"still here")
    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    tap.ok(ok is True and err == 0 and stat("a", "InRsts") == rst0,
           "RST in window, wrong SEQ: the connection is not reset "
           "(data passes both ways, no error, InRsts unchanged)",
           "alive: %r, SO_ERROR %d" % (ok, err))
    a_nxt = seq_add(a_nxt, 10)
    b_nxt = seq_add(b_nxt, 10)

    # 2. A SYN in ESTABLISHED: challenge ACK (RFC 5961 4.2), no reset.
    time.sleep(0.6)		# a connection challenges once per 500 ms
    ca0 = stat("a", "ChallengeAcks")
    n0 = len(sn.all(lambda x: mine(x) and x.src == A and x.is_(ACK) and
                    x.seq == a_nxt and x.ack == b_nxt))
    nrst = len(sn.all(lambda x: mine(x) and x.has(RST)))
    with ns("b"):
        inject(B, A, segment(B, A, port, cp, b_nxt, flags=SYN))
    acks = challenge_acks_after(n0)
    ca1 = wait_stat("a", "ChallengeAcks", ca0, timeout=2)
    ok = alive(b"after syn")
    tap.ok(len(acks) == n0 + 1 and ca1 == ca0 + 1 and ok is True and
           len(sn.all(lambda x: mine(x) and x.has(RST))) == nrst,
           "SYN in ESTABLISHED: a sends a challenge ACK (ChallengeAcks +1), "
           "no RST, and the connection goes on (RFC 5961)",
           "ChallengeAcks +%d, alive %r\n%s" % (ca1 - ca0, ok, str(sn)))
    a_nxt = seq_add(a_nxt, 9)
    b_nxt = seq_add(b_nxt, 9)

    # 3. An RST at exactly RCV.NXT resets the connection.
    time.sleep(0.1)
    rst0 = stat("a", "InRsts")
    with ns("b"):
        inject(B, A, segment(B, A, port, cp, b_nxt, flags=RST))
    rst1 = wait_stat("a", "InRsts", rst0, timeout=3)
    res = recv_or_errno(c)
    tap.ok(res == errno.ECONNRESET and rst1 == rst0 + 1,
           "RST with SEQ = RCV.NXT resets the connection: recv() fails with "
           "ECONNRESET (InRsts +1)",
           "recv: %r, InRsts +%d" % (res, rst1 - rst0))
    s.close()		# b's FIN gets an RST from a, which has no socket now
    sn.wait(lambda x: mine(x) and x.src == A and x.has(RST), timeout=3)
    c.close()
    sn.close()


@case(2)
def refused():
    port = 7999
    with ns("a"):
        sn = Sniffer("a0")
        c = vsock()
        c.settimeout(5)
        try:
            c.connect((B, port))
            err = 0
        except OSError as e:
            err = e.errno
    mine = lambda x: port in (x.sport, x.dport)
    syn = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN))
    rst = sn.wait(lambda x: mine(x) and x.src == B and x.has(RST))
    tap.ok(bool(syn and rst) and rst[0].is_(RST | ACK) and
           rst[0].ack == seq_add(syn[0].seq, 1) and rst[0].seq == 0,
           "connect to a port without listener: b answers the SYN with "
           "<SEQ=0><ACK=SYN.seq+1><CTL=RST,ACK>", str(sn))
    tap.eq(err, errno.ECONNREFUSED,
           "connect to a port without listener: connect() fails with "
           "ECONNREFUSED")
    c.close()
    sn.close()


def server_timewait(ls, port, aport):
    """a:@aport connects to b:@port (listener @ls), b closes first, and b
    holds the 4-tuple in TIME-WAIT for 20 s: (sniffer, a's FIN, b's FIN),
    or None if the teardown was not seen."""
    with ns("a"):
        sn = Sniffer("a0")
    tw0 = stat("b", "TimeWaitCreated")
    with sysctls("b", msl_ms=10000):
        with ns("a"):
            c = vsock()
            c.settimeout(5)
            c.bind((A, aport))
            c.connect((B, port))
        s, _ = ls.accept()
        c.sendall(b"q" * 100)
        recv_exactly(s, 100)
        s.close()
        recv_or_errno(c)
        c.close()
        wait_stat("b", "TimeWaitCreated", tw0)
    mine = conn(aport, port)
    fin_b = sn.wait(lambda x: mine(x) and x.src == B and x.has(FIN))
    fin_a = sn.wait(lambda x: mine(x) and x.src == A and x.has(FIN))
    if not (fin_b and fin_a):
        tap.msg("server_timewait: teardown not seen\n%s" % sn)
        sn.close()
        return None
    return sn, fin_a[0], fin_b[0]


def reconnect(ls, port, aport):
    """a connects to b:@port (listener @ls) from @aport again: (error or 0,
    the time it took, a's SynRetrans delta)."""
    retrans0 = stat("a", "SynRetrans")
    with ns("a"):
        c = vsock()
        c.settimeout(8)
        c.bind((A, aport))
    t0 = time.monotonic()
    try:
        c.connect((B, port))
        s, _ = ls.accept()
        c.sendall(b"again")
        err = 0 if recv_exactly(s, 5) == b"again" else "no data"
        s.close()
    except OSError as e:
        err = e.errno
    took = time.monotonic() - t0
    c.close()
    return err, took, stat("a", "SynRetrans") - retrans0


@case(5)
def timewait_reopen():
    """RFC 6191: a SYN newer than b's TIME-WAIT entry (by timestamp, or by
    sequence number without them) opens a new connection at once; an old
    one gets an ACK and the entry stays."""
    port, aport = 7201, 40001
    ls = listener(port)		# the listener outlives the first connection
    got = server_timewait(ls, port, aport)
    if not got:
        ls.close()
        for _ in range(5):
            tap.ok(False, "TIME-WAIT reopen: teardown not seen")
        return
    sn, fin_a, fin_b = got
    mine = conn(aport, port)
    rcv_nxt, b_nxt = seq_add(fin_a.seq, 1), seq_add(fin_b.seq, 1)
    ts_recent = parse_options(fin_a.options)["ts"][0]
    reopened0 = stat("b", "TimeWaitReopened")
    # b's ACK of a's FIN may still be on its way to the sniffer.
    last_ack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(ACK) and
                       x.ack == rcv_nxt)
    window = last_ack[0].win if last_ack else None

    def answered(n0):
        return sn.wait(lambda x: mine(x) and x.src == B and x.is_(ACK),
                       count=n0 + 1, timeout=3)[n0:]

    old = (("a SYN below RCV.NXT, no timestamp", seq_add(rcv_nxt, -1000),
            b""),
           ("a SYN past RCV.NXT with an older timestamp",
            seq_add(rcv_nxt, 1000), make_options(ts=(ts_recent - 5, 0))))
    for what, seq, opts in old:
        time.sleep(0.6)		# one answer per 500 ms (invalid_ratelimit_ms)
        n0 = len(sn.all(lambda x: mine(x) and x.src == B and x.is_(ACK)))
        with ns("a"):
            inject(A, B, segment(A, B, aport, port, seq, flags=SYN,
                                 options=opts))
        ack = answered(n0)
        reopened = stat("b", "TimeWaitReopened") - reopened0
        states = vtcp_states("b")
        tap.ok(len(ack) == 1 and ack[0].seq == b_nxt and
               ack[0].ack == rcv_nxt and ack[0].win == window and
               reopened == 0 and states.get("TIME-WAIT", 0) >= 1,
               "TIME-WAIT with a listener: %s is old: an ACK <SEQ=SND.NXT>"
               "<ACK=RCV.NXT><WND=the last one's>, and the entry stays" %
               what,
               "rcv_nxt %d snd_nxt %d window %s, reopened %d, b's sockets "
               "%s\n%s" % (rcv_nxt, b_nxt, window, reopened, states, sn))

    err, took, retrans = reconnect(ls, port, aport)
    # The first connection's SYN, the two old ones, then the new one.
    syn = sn.wait(lambda x: mine(x) and x.src == A and x.is_(SYN),
                  count=4)[3:]
    synack = sn.wait(lambda x: mine(x) and x.src == B and x.is_(SYN | ACK),
                     count=2)[1:]
    tsval = parse_options(syn[0].options).get("ts", (0,))[0] if syn else 0
    tap.ok(err == 0 and retrans == 0 and
           stat("b", "TimeWaitReopened") == reopened0 + 1 and
           bool(syn) and (tsval - ts_recent) % (1 << 32) < (1 << 31),
           "TIME-WAIT: a's new SYN from the same port carries a later "
           "timestamp (the 4-tuple's clock goes on) and is accepted at once: "
           "connected and data through, no SYN resent, TimeWaitReopened +1",
           "error %r in %.1f s, SynRetrans +%d, TSval %d after %d\n%s" %
           (err, took, retrans, tsval, ts_recent, sn))
    tap.ok(bool(synack) and synack[0].seq == seq_add(b_nxt, 65536),
           "TIME-WAIT reopened: b's new ISN is the old SND.NXT + 2^16 (past "
           "all that the old connection's window held)",
           "old SND.NXT %d\n%s" % (b_nxt, sn))
    sn.close()

    # Without timestamps the sequence number decides.
    with sysctls("a", timestamps=0):
        got = server_timewait(ls, port, aport + 1)
        if got:
            got[0].close()
            err, took, retrans = reconnect(ls, port, aport + 1)
        ls.close()
    tap.ok(bool(got) and err == 0 and retrans == 0 and
           stat("b", "TimeWaitReopened") == reopened0 + 2,
           "TIME-WAIT without timestamps: a new SYN past RCV.NXT is accepted "
           "at once (TimeWaitReopened +1, no SYN resent)",
           "error %r in %.1f s, SynRetrans +%d" %
           (err if got else "-", took if got else 0, retrans if got else 0))


TCP_CLOSE_WAIT = 8


@case(3)
def fin_again():
    """A peer that sends a second FIN at RCV.NXT, after the first (only a
    broken or hostile one does): in CLOSE-WAIT and in LAST-ACK it gets an
    ACK that takes nothing (RFC 9293 3.10.7.4: the FIN bit, remain), and
    the ACK of b's FIN still closes it."""
    with ns("a"):
        sn = Sniffer("a0")
    ls = listener(7111)
    p = RawPeer(sn, 40111, 7111)
    try:
        if not p.connect():
            for d in ("CLOSE-WAIT", "LAST-ACK", "LAST-ACK, closed"):
                tap.ok(False, "a FIN again in %s" % d, "no SYN-ACK")
            return
        ls.settimeout(5)
        with ns("b"):
            s, _ = ls.accept()

        def acks(ack, mark):
            return wait_after(sn, mark, lambda x: p.mine(x) and
                              x.is_(ACK) and x.ack == ack and not x.len)

        p.send(flags=FIN | ACK)
        fin_end = seq_add(p.snd_nxt, 1)
        got_first = acks(fin_end, 0)
        p.snd_nxt = fin_end
        m = p.mark()
        p.send(flags=FIN | ACK)
        again = acks(fin_end, m)
        state = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        tap.ok(got_first and again and state == TCP_CLOSE_WAIT,
               "CLOSE-WAIT: a FIN again at RCV.NXT is ACKed, taking nothing; "
               "the state stays",
               "first FIN ACKed %s, again %s, state %d" %
               (bool(got_first), bool(again), state))

        m = p.mark()
        s.close()
        fins = wait_after(sn, m, lambda x: p.mine(x) and x.has(FIN))
        m = p.mark()
        p.send(flags=FIN | ACK)
        again = acks(fin_end, m)
        tap.ok(fins and again and vtcp_states("b").get("LAST-ACK") == 1,
               "LAST-ACK: a FIN again, its FIN unacked: ACKed, the state "
               "stays", "b's FIN %s, ACK %s, states %s" %
               (bool(fins), bool(again), vtcp_states("b")))

        if fins:
            p.send(ack=seq_add(fins[0].seq, 1))
        deadline = time.monotonic() + 5
        while "LAST-ACK" in vtcp_states("b") and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        tap.ok("LAST-ACK" not in vtcp_states("b"),
               "LAST-ACK: the ACK of b's FIN closes it",
               "states %s" % vtcp_states("b"))
    finally:
        ls.close()
        sn.close()


tap.run([handshake, (teardown, "a", 7102), (teardown, "b", 7103), half_close,
         simultaneous, rst_processing, refused, timewait_reopen, fin_again])
