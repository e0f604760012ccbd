#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sock_diag for vtcp: host a holds one socket in each of the ten states a
dump shows (LISTEN, SYN-RECEIVED, SYN-SENT, ESTABLISHED, FIN-WAIT-1,
FIN-WAIT-2, CLOSING, TIME-WAIT, CLOSE-WAIT, LAST-ACK), each against a peer
this script plays by hand (address 10.0.0.7, or fd00::7 with
VTCP_FAMILY=6: a's segments to it are captured on b0, its segments are
injected), so every state is reached exactly and stays put. The dumps
must show exactly those sockets, with their states, timers and struct
vtcp_info; state masks, port bytecode and the id's ports filter them;
each is found by 4-tuple and cookie; SOCK_DESTROY ends them, for
CAP_NET_ADMIN only; getsockopt(VTCP_INFO) agrees; without CAP_NET_ADMIN,
dumps and lookups hide the sequence numbers; other namespaces and the
other family see none of them. Dumps, lookups and SOCK_DESTROY ask for
the run's family (AF_INET6 over IPv6)."""
import errno
import socket
import struct
import subprocess
import time
from types import SimpleNamespace

from vtcplib import (ACK, AF, FIN, PROTO, RST, SYN, V6, Sniffer, Tap, case,
                     inject, ns, segment, sh, stats, sysctl, two_hosts, vsock)
from vtcplib import addr, net_addr
from vtcpnl import (BC_D_EQ, BC_D_GE, BC_S_EQ, CLOSE_WAIT, CLOSING,
                    ESTABLISHED, FIN_WAIT1, FIN_WAIT2, INET_DIAG_INFO,
                    INET_DIAG_MEMINFO, INET_DIAG_SHUTDOWN, INET_DIAG_SKMEMINFO,
                    LAST_ACK, LISTEN, NEW_SYN_RECV, STATE_NAMES, SYN_RECV,
                    SYN_SENT, TIME_WAIT, TIMER_KINDS, Diag,
                    bc_port, expect_errno, sockid, unprivileged,
                    unprivileged_value, vtcp_info)

A = addr("a")			# in the run's family (VTCP_FAMILY)
P = net_addr(7)			# the scripted peer
ANY = "::" if V6 else "0.0.0.0"	# a listener's peer in a dump
MSL_MS = 30000
LPORT = 6000			# a's listener
PEER_ISS = 100000
PEER_WIN = 20000
VTCP_INFO = 11
EXT_INFO = 1 << (INET_DIAG_INFO - 1)

tap = Tap(family=True)
two_hosts()
with ns("a"):
    sysctl("msl_ms", MSL_MS)
B0_MAC = subprocess.check_output(["ip", "-n", "b", "-br", "link", "show",
                                  "b0"], text=True).split()[2]
sh("ip -n a neigh replace %s lladdr %s dev a0 nud permanent" % (P, B0_MAC))


class Peer:
    """P: what a sends it is seen on b0; what it says is injected."""

    def __init__(self):
        with ns("b"):
            self.sn = Sniffer("b0")

    def seen(self, pred, timeout=5.0):
        got = self.sn.wait(lambda x: x.dst == P and pred(x), timeout=timeout)
        return got[0] if got else None

    def send(self, pport, aport, seq, ack, flags, options=b""):
        with ns("b"):
            inject(P, A, segment(P, A, pport, aport, seq, ack, flags,
                                 win=PEER_WIN, options=options))

    def close(self):
        self.sn.close()


peer = Peer()


def wait_state(sock, state, timeout=5.0):
    """Poll getsockopt(VTCP_INFO) until @sock is in @state."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if info_of(sock)["state"] == state:
            return True
        time.sleep(0.02)
    return False


def info_of(sock, size=512):
    return vtcp_info(sock.getsockopt(PROTO, VTCP_INFO, size))


class Conn:
    """A connection from a's @aport to the peer's @pport."""

    def __init__(self, aport, pport, establish=True):
        self.aport, self.pport = aport, pport
        with ns("a"):
            self.s = vsock()
            self.s.bind((A, aport))
            self.s.setblocking(False)
            try:
                self.s.connect((P, pport))
            except BlockingIOError:
                pass
        syn = peer.seen(lambda x: x.sport == aport and x.is_(SYN))
        self.iss = syn.seq if syn else 0
        self.snd = PEER_ISS + pport	# the peer's next sequence number
        if establish:
            self.peer_send(SYN | ACK, ack=self.iss + 1,
                           options=b"\x02\x04\x05\x00")	# MSS 1280
            self.snd += 1
            wait_state(self.s, ESTABLISHED)

    def peer_send(self, flags, ack=None, seq=None, options=b""):
        peer.send(self.pport, self.aport, self.snd if seq is None else seq,
                  self.iss + 1 if ack is None else ack, flags, options)

    def our_fin(self):
        """a half-closes; returns its FIN as the peer saw it."""
        self.s.shutdown(socket.SHUT_WR)
        return peer.seen(lambda x: x.sport == self.aport and x.has(FIN))

    @property
    def tuple(self):
        return (A, self.aport, P, self.pport)


# ---------------------------------------------------------------- the states

with ns("a"):
    lsock = vsock()
    lsock.bind((A, LPORT))
    lsock.listen(8)
    lsock.setblocking(False)

# SYN-RECEIVED: the peer's SYN makes a child whose SYN-ACK goes unanswered.
peer.send(7001, LPORT, PEER_ISS, 0, SYN)
synack = peer.seen(lambda x: x.sport == LPORT and x.is_(SYN | ACK))

syn_sent = Conn(6102, 7002, establish=False)
estab = Conn(6103, 7003)

fin_wait1 = Conn(6104, 7004)
fin_wait1.our_fin()

fin_wait2 = Conn(6105, 7005)
fin = fin_wait2.our_fin()
fin_wait2.peer_send(ACK, ack=fin.seq + 1)

closing = Conn(6106, 7006)
closing.our_fin()
closing.peer_send(FIN | ACK)		# crosses our FIN: its ACK misses it

time_wait = Conn(6107, 7007)
fin = time_wait.our_fin()
time_wait.peer_send(ACK, ack=fin.seq + 1)
wait_state(time_wait.s, FIN_WAIT2)
time_wait.peer_send(FIN | ACK, ack=fin.seq + 1)

close_wait = Conn(6108, 7008)
close_wait.peer_send(FIN | ACK)

last_ack = Conn(6109, 7009)
last_ack.peer_send(FIN | ACK)
wait_state(last_ack.s, CLOSE_WAIT)
last_ack.our_fin()

EXPECTED = {
    (A, LPORT, ANY, 0): LISTEN,
    (A, LPORT, P, 7001): SYN_RECV,
    syn_sent.tuple: SYN_SENT,
    estab.tuple: ESTABLISHED,
    fin_wait1.tuple: FIN_WAIT1,
    fin_wait2.tuple: FIN_WAIT2,
    closing.tuple: CLOSING,
    time_wait.tuple: TIME_WAIT,
    close_wait.tuple: CLOSE_WAIT,
    last_ack.tuple: LAST_ACK,
}
# The timer each state has pending: (vtcp_info.timer, inet_diag_msg timer).
TIMERS = {
    LISTEN: ("NONE", 0), SYN_RECV: ("SYN", 1), SYN_SENT: ("SYN", 1),
    ESTABLISHED: ("NONE", 0), FIN_WAIT1: ("FIN", 1), FIN_WAIT2: ("NONE", 0),
    CLOSING: ("FIN", 1), TIME_WAIT: ("TIME_WAIT", 3),
    CLOSE_WAIT: ("NONE", 0), LAST_ACK: ("FIN", 1),
}


def settle(timeout=5.0):
    """Dump until every expected socket is in its state."""
    end = time.monotonic() + timeout
    while True:
        with ns("a"):
            got = Diag().dump(ext=EXT_INFO)
        states = {d.tuple: d.state for d in got}
        if states == EXPECTED or time.monotonic() > end:
            return got
        time.sleep(0.05)


def show(socks):
    return "\n".join(map(repr, sorted(socks, key=lambda d: d.tuple)))


def by_tuple(socks):
    return {d.tuple: d for d in socks}


# ---------------------------------------------------------------- cases

DUMP = []	# the sockets full_dump() saw, which the later cases look at


@case(6)
def full_dump():
    got = settle()
    tap.eq({d.tuple: STATE_NAMES[d.state] for d in got},
           {t: STATE_NAMES[s] for t, s in EXPECTED.items()},
           "dump: exactly the ten sockets of host a, each in its state "
           "(SYN-RECEIVED as 3, TIME-WAIT included)")
    tap.eq(len(got), len({d.cookie for d in got}),
           "dump: every socket once, each with its own cookie")
    bad = []
    for d in got:
        want = TIMERS.get(d.state)
        kind = TIMER_KINDS[d.info["timer"]] if d.info else None
        if not d.info or (kind, d.timer) != want:
            bad.append("%r: info timer %s, want %s" % (d, kind, want))
    tap.ok(not bad, "dump: INET_DIAG_INFO names the pending timer (SYN, FIN, "
           "TIME_WAIT, none) and inet_diag_msg.idiag_timer agrees as TCP's "
           "(on 1, timewait 3)", "\n".join(bad))
    tw = by_tuple(got).get(time_wait.tuple)
    tap.ok(tw is not None and 0 < tw.expires <= 2 * MSL_MS and
           abs(tw.expires - tw.info["timer_expires_ms"]) < 1000,
           "dump: TIME-WAIT expires within 2MSL (%s ms of %d), from its "
           "own hrtimer" % (tw and tw.expires, 2 * MSL_MS))
    ss = by_tuple(got).get(syn_sent.tuple)
    tap.ok(ss is not None and ss.info["snd_una"] == syn_sent.iss and
           ss.info["snd_nxt"] == syn_sent.iss + 1 and ss.info["unacked"] == 1
           and 0 < ss.expires <= 60000 and ss.info["rto_us"] >= 1000000,
           "dump: SYN-SENT: snd_una = ISS, snd_nxt = ISS + 1, the SYN "
           "unacked, its timer after the initial RTO", ss and ss.info)
    e = by_tuple(got).get(estab.tuple)
    i = e.info if e else {}
    tap.ok(e is not None and i["snd_una"] == i["snd_nxt"] == estab.iss + 1 and
           i["rcv_nxt"] == PEER_ISS + 7003 + 1 and i["snd_wnd"] == PEER_WIN
           and i["snd_mss"] == 1280 and i["unacked"] == 0 and
           i["rcv_wnd"] > 0 and i["snd_cwnd"] >= 1280,
           "dump: ESTABLISHED: sequence numbers, windows and the peer's MSS "
           "as the handshake set them", i)
    DUMP[:] = got


@case(4)
def masks():
    wrong = []
    for state in set(EXPECTED.values()):
        with ns("a"):
            sel = Diag().dump(states=1 << state)
        want = {t for t, s in EXPECTED.items() if s == state}
        if {d.tuple for d in sel} != want:
            wrong.append("%s: %s" % (STATE_NAMES[state], show(sel)))
    tap.ok(not wrong, "state mask: 1 << state selects exactly the sockets in "
           "that state, for each of the ten", "\n".join(wrong))
    with ns("a"):
        sel = Diag().dump(states=1 << NEW_SYN_RECV)
    tap.eq([d.tuple for d in sel], [(A, LPORT, P, 7001)],
           "state mask: TCP_NEW_SYN_RECV (12) selects the SYN-RECEIVED child")
    with ns("a"):
        sel = Diag().dump(states=(1 << LISTEN) | (1 << TIME_WAIT))
    tap.eq(sorted(STATE_NAMES[d.state] for d in sel), ["LISTEN", "TIME-WAIT"],
           "state mask: LISTEN | TIME-WAIT selects those two")
    with ns("a"):
        sel = Diag().dump(states=1 << 7)
    tap.eq(sel, [], "state mask: CLOSED selects nothing")


@case(5)
def filters():
    with ns("a"):
        d = Diag()
        by_sport = d.dump(bytecode=bc_port(BC_S_EQ, LPORT))
        by_dport = d.dump(bytecode=bc_port(BC_D_EQ, 7005))
        by_dge = d.dump(bytecode=bc_port(BC_D_GE, 7007))
        by_id = d.dump(sid=sockid(sport=6103))
        by_id_d = d.dump(sid=sockid(dport=7008))
    tap.eq(sorted(STATE_NAMES[x.state] for x in by_sport),
           ["LISTEN", "SYN-RECEIVED"],
           "bytecode: sport == %d: the listener and its child" % LPORT)
    tap.eq([x.tuple for x in by_dport], [fin_wait2.tuple],
           "bytecode: dport == 7005: that connection only")
    tap.eq(sorted(x.dport for x in by_dge), [7007, 7008, 7009],
           "bytecode: dport >= 7007: the three connections above")
    tap.ok([x.tuple for x in by_id] == [estab.tuple] and
           [x.tuple for x in by_id_d] == [close_wait.tuple],
           "inet_diag_sockid ports in a dump request filter as for TCP",
           show(by_id + by_id_d))
    bad = struct.pack("=BBHBBH", BC_S_EQ, 16, 12, 0, 0, LPORT)  # jumps out
    with ns("a"):
        r = expect_errno(lambda: Diag().dump(bytecode=bad))
        r2 = expect_errno(lambda: Diag().dump(bytecode=b"\x0b\x08"))
    tap.ok(r[0] == errno.EINVAL and r2[0] == errno.EINVAL,
           "bytecode that jumps out of bounds or is truncated: EINVAL",
           "%r %r" % (r, r2))


@case(5)
def lookups():
    got = DUMP
    wrong = []
    with ns("a"):
        d = Diag()
        for s in got:
            one = d.lookup(s, ext=EXT_INFO)
            if [(x.tuple, x.cookie, x.state) for x in one] != \
                    [(s.tuple, s.cookie, s.state)] or one[0].info is None:
                wrong.append("%r -> %s" % (s, show(one)))
    tap.ok(not wrong, "dump_one: each of the ten found by 4-tuple and cookie, "
           "with its state and INET_DIAG_INFO", "\n".join(wrong))
    e = by_tuple(got)[estab.tuple]
    with ns("a"):
        d = Diag()
        wrong_cookie = expect_errno(lambda: d.lookup(e, cookie=e.cookie + 1))
        any_cookie = d.lookup(e, cookie=0xFFFFFFFFFFFFFFFF)
        nobody = SimpleNamespace(src=A, sport=6199, dst=P, dport=7199,
                                 cookie=0xFFFFFFFFFFFFFFFF, family=AF)
        gone = expect_errno(lambda: d.lookup(nobody))
    tap.eq(wrong_cookie[0], errno.ENOENT,
           "dump_one: the right 4-tuple with another cookie: ENOENT")
    tap.ok([x.cookie for x in any_cookie] == [e.cookie],
           "dump_one: INET_DIAG_NOCOOKIE matches any cookie")
    tap.eq(gone[0], errno.ENOENT, "dump_one: a 4-tuple nobody has: ENOENT")
    with ns("b"):
        other = expect_errno(lambda: Diag().lookup(e))
    tap.eq(other[0], errno.ENOENT,
           "dump_one from another namespace: ENOENT (namespaces are apart)")


@case(3)
def attributes():
    ext = (1 << (INET_DIAG_MEMINFO - 1)) | (1 << (INET_DIAG_SKMEMINFO - 1))
    with ns("a"):
        socks = by_tuple(Diag().dump(ext=ext | EXT_INFO))
    fw1 = socks.get(fin_wait1.tuple)
    ok = fw1 is not None and INET_DIAG_MEMINFO in fw1.attrs and \
        INET_DIAG_SKMEMINFO in fw1.attrs and \
        fw1.attrs.get(INET_DIAG_SHUTDOWN) == b"\x02"
    tap.ok(ok, "attributes: MEMINFO, SKMEMINFO, and SHUTDOWN = SEND_SHUTDOWN "
           "after shutdown(SHUT_WR)", fw1 and fw1.attrs)
    tw = socks.get(time_wait.tuple)
    tap.ok(tw is not None and INET_DIAG_MEMINFO not in tw.attrs and
           tw.info["rcv_nxt"] == PEER_ISS + 7007 + 2 and tw.rqueue == 0,
           "attributes: a TIME-WAIT entry has INET_DIAG_INFO (its rcv_nxt "
           "past the peer's FIN), no memory", tw and tw.info)
    with ns("a"):
        no_info = Diag().dump(ext=0)
    tap.ok(all(x.info is None for x in no_info),
           "attributes: INET_DIAG_INFO only when idiag_ext asks for it")


@case(3)
def getsockopt_info():
    got = DUMP
    d = by_tuple(got)[estab.tuple].info
    with ns("a"):
        i = info_of(estab.s)
        short = estab.s.getsockopt(PROTO, VTCP_INFO, 8)
        li = info_of(lsock)
        fw1 = info_of(fin_wait1.s)
    same = {k: (i[k], d[k]) for k in i if k not in ("timer_expires_ms",)
            and i[k] != d[k]}
    tap.ok(not same and i["state"] == ESTABLISHED,
           "getsockopt(VTCP_INFO) agrees with the dump", same)
    tap.ok(len(short) == 8 and short[0] == ESTABLISHED,
           "getsockopt(VTCP_INFO) with 8 bytes: 8 bytes, state first")
    tap.ok(li["state"] == LISTEN and fw1["state"] == FIN_WAIT1 and
           TIMER_KINDS[fw1["timer"]] == "FIN" and fw1["unacked"] == 1 and
           0 < fw1["timer_expires_ms"] <= 2 * fw1["rto_us"] // 1000 + 1000,
           "getsockopt(VTCP_INFO): a listener, and FIN-WAIT-1 with its FIN "
           "unacked and the FIN timer within its RTO", fw1)


SEQ_FIELDS = ("snd_una", "snd_nxt", "rcv_nxt")


def seq_shown(d):
    return {k: d.info[k] for k in SEQ_FIELDS if d.info and d.info[k]}


@case(2)
def unprivileged_view():
    got = DUMP
    """Without CAP_NET_ADMIN the same sockets and vtcp_info, but no
    sequence number: with one, a local user could inject into them."""
    mine = by_tuple(got)
    with ns("a"):
        theirs = unprivileged_value(lambda: Diag().dump(ext=EXT_INFO))
        ones = unprivileged_value(lambda: [
            Diag().lookup(mine[t], ext=EXT_INFO)[0]
            for t in (estab.tuple, time_wait.tuple)])
    theirs = by_tuple(theirs or [])
    shown = {t: seq_shown(d) for t, d in theirs.items() if seq_shown(d)}
    with_seq = [t for t, d in mine.items() if seq_shown(d)]
    e = mine[estab.tuple].info
    ue = theirs[estab.tuple].info if estab.tuple in theirs else None
    rest = {k: (e[k], (ue or {}).get(k)) for k in e
            if k not in SEQ_FIELDS + ("timer_expires_ms",) and
            e[k] != (ue or {}).get(k)}
    tap.ok(set(theirs) == set(mine) and len(with_seq) == 9 and not shown and
           not rest and all(d.info for d in theirs.values()),
           "dump without CAP_NET_ADMIN: every socket with its vtcp_info, "
           "snd_una, snd_nxt and rcv_nxt 0 (TIME-WAIT's too), the rest as "
           "CAP_NET_ADMIN sees it", "shown %s; differs %s" % (shown, rest))
    tap.ok(ones is not None and [x.tuple for x in ones] ==
           [estab.tuple, time_wait.tuple] and
           not any(seq_shown(x) for x in ones),
           "dump_one without CAP_NET_ADMIN: ESTABLISHED and TIME-WAIT "
           "without their sequence numbers",
           ones and [x.info for x in ones])


@case(2)
def other_views():
    with ns("b"):
        theirs = Diag().dump()
    tap.eq(theirs, [], "another namespace's dump: none of a's sockets")
    other = socket.AF_INET if V6 else socket.AF_INET6
    with ns("a"):
        theirs = Diag().dump(family=other)
    tap.eq(theirs, [], "an %s dump: none (these are %s sockets)" %
           ("AF_INET" if V6 else "AF_INET6", "IPv6" if V6 else "IPv4"))


def sockstat():
    """/proc/net/vtcp_sockstat's fields, as numbers."""
    with open("/proc/net/vtcp_sockstat") as f:
        w = f.read().split()
    return {w[i]: int(w[i + 1]) for i in range(1, len(w) - 1, 2)}


@case(8)
def destroy():
    got = DUMP
    socks = by_tuple(got)
    with ns("a"):
        before = stats()["DiagDestroyed"]
        e = socks[estab.tuple]
        refused = unprivileged(lambda: Diag().destroy(e))
    tap.eq(refused, errno.EPERM,
           "SOCK_DESTROY without CAP_NET_ADMIN: EPERM, the socket lives")
    with ns("a"):
        d = Diag()
        d.destroy(e)
        try:
            estab.s.recv(10)
            err = 0
        except OSError as x:
            err = x.errno
    tap.eq(err, errno.ECONNABORTED,
           "SOCK_DESTROY on ESTABLISHED: its user reads ECONNABORTED")
    rst = peer.seen(lambda x: x.sport == estab.aport and x.has(RST))
    tap.ok(rst is not None and rst.seq == estab.iss + 1,
           "SOCK_DESTROY on ESTABLISHED: an RST <SEQ=snd_nxt> tells the peer",
           str(peer.sn))
    with ns("a"):
        tw0, st0 = sockstat()["tw"], stats()
        d = Diag()
        d.destroy(socks[time_wait.tuple])
        tw1, st1 = sockstat()["tw"], stats()
        d.destroy(socks[syn_sent.tuple])
        d.destroy(socks[(A, LPORT, ANY, 0)])
        left = {x.tuple for x in d.dump()}
        after = stats()["DiagDestroyed"]
        conn_err = syn_sent.s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        try:
            lsock.accept()
            acc = 0
        except OSError as x:
            acc = x.errno
    gone = {estab.tuple, time_wait.tuple, syn_sent.tuple,
            (A, LPORT, ANY, 0), (A, LPORT, P, 7001)}
    tap.eq(left, set(EXPECTED) - gone,
           "SOCK_DESTROY: ESTABLISHED, TIME-WAIT, SYN-SENT and the listener "
           "(with its SYN-RECEIVED child) are gone from the dump")
    tap.ok(conn_err == errno.ECONNABORTED and acc == errno.EINVAL,
           "SOCK_DESTROY: the connecting socket fails with ECONNABORTED, "
           "accept() on the destroyed listener with EINVAL",
           "SO_ERROR %d, accept %d" % (conn_err, acc))
    tap.ok(tw0 >= 1 and tw1 == tw0 - 1 and
           st1["TimeWaitExpired"] == st0["TimeWaitExpired"],
           "SOCK_DESTROY on TIME-WAIT: /proc/net/vtcp_sockstat's tw count "
           "drops by one (TimeWaitCreated - TimeWaitExpired, which counts "
           "only the 2MSL ends, does not)",
           "tw %d then %d; TimeWaitExpired %d then %d" % (
               tw0, tw1, st0["TimeWaitExpired"], st1["TimeWaitExpired"]))
    tap.eq(after - before, 4, "SOCK_DESTROY: DiagDestroyed counts the four")
    with ns("a"):
        again = expect_errno(lambda: Diag().destroy(e))
    tap.eq(again[0], errno.ENOENT, "SOCK_DESTROY of a socket now gone: ENOENT")


@case(1)
def destroy_the_rest():
    """The FIN-WAIT, CLOSING and CLOSE-WAIT/LAST-ACK sockets would linger
    for minutes retransmitting to a peer that never answers."""
    with ns("a"):
        d = Diag()
        rest = d.dump()
        for x in rest:
            d.destroy(x)
        left = d.dump()
    tap.ok(len(rest) == 5 and not left,
           "SOCK_DESTROY on FIN-WAIT-1, FIN-WAIT-2, CLOSING, CLOSE-WAIT and "
           "LAST-ACK: the dump is empty", show(rest + left))


tap.run([full_dump, masks, filters, lookups, attributes, getsockopt_info,
         unprivileged_view, other_views, destroy, destroy_the_rest])
