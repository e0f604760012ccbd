#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The generic netlink family "vtcp": its counters (the same as
/proc/net/vtcp_stats, reset only with CAP_NET_ADMIN), strict validation of
requests (errno and extack), and the "events" group: a connection's
handshake and teardown, seen from both ends, come as state, segment and
timer events in exactly the order of RFC 9293, with sequence numbers that
match across the two ends; retransmission timers report their retries;
each namespace hears only its own connections, and only with
CAP_NET_ADMIN there (EPERM without). Over IPv4, or IPv6 with
VTCP_FAMILY=6 (the events then name IPv6 addresses). Changes of state
made for other reasons than the user's calls and the segments of a
handshake carry their own events too: connect(AF_UNSPEC) is DISCONNECT,
and a SYN cookie's child is born in SYN-RECEIVED, then established."""
import ctypes
import errno
import socket
import struct
import time

from vtcplib import (V6, Tap, as_container_root, case, connected_pair,
                     listener, ns, recv_exactly, sh, stats, sysctl, sysctls,
                     two_hosts, vsock)
from vtcplib import addr, net_addr
from vtcpnl import (A_EV_DADDR, A_EV_DADDR6, A_EV_SADDR, A_EV_SADDR6,
                    A_EV_TYPE, A_STATS, A_STATS_RESET,
                    CMD_EVENT, CMD_GET_STATS, EVT_SEG_IN, EVT_SEG_OUT,
                    EVT_STATE,
                    NLM_F_DUMP, Diag, Genl, attr, expect_errno, genl_hdr,
                    unprivileged)

PORT = 7100
MSL_MS = 300
A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)
UNREACHABLE = net_addr(9)

tap = Tap(family=True)
two_hosts()
sh("ip netns del c 2>/dev/null; ip netns add c && ip -n c link set lo up")
for h in ("a", "b"):
    with ns(h):
        sysctl("msl_ms", MSL_MS)
# Segments to UNREACHABLE leave a0 for a MAC nobody has: never answered.
sh("ip -n a neigh replace %s lladdr 02:00:00:00:00:09 dev a0 nud permanent" %
   UNREACHABLE)

subs = {}
for h in ("a", "b", "c"):
    with ns(h):
        subs[h] = Genl(rcvbuf=1 << 20)
        subs[h].subscribe()


def drain():
    for g in subs.values():
        g.events(timeout=0.05)


def events_of(host, ports, timeout=0.3):
    """The events @host heard about the connection between @ports."""
    return [e for e in subs[host].events(timeout)
            if {e.sport, e.dport} == set(ports)]


def shorts(evs):
    return [e.short() for e in evs]


# ---------------------------------------------------------------- counters

@case(5)
def counters():
    with ns("a"):
        g = Genl()
        got = g.stats()
        proc = stats()
    tap.eq(list(got), list(proc), "GET_STATS: the counters of "
           "/proc/net/vtcp_stats, by name, in the same order")
    tap.eq(got, proc, "GET_STATS: the same values (a quiet namespace)")
    new = ("TimeoutRetrans", "SynRetrans", "FinRetrans",
           "TimeWaitRstIgnored", "DiagDestroyed")
    tap.ok(all(n in got for n in new) and list(got)[:3] ==
           ["InSegs", "OutSegs", "InHdrErrors"],
           "GET_STATS: the old names first and unchanged, the new ones at "
           "the end", list(got))
    with ns("a"):
        refused = unprivileged(lambda: Genl().stats(reset=True))
        readable = unprivileged(lambda: Genl().stats())
    tap.ok(refused == errno.EPERM and readable == 0,
           "GET_STATS: anyone reads; a reset without CAP_NET_ADMIN: EPERM",
           "reset %s, read %s" % (refused, readable))
    with ns("a"):
        before = g.stats()
        reply = g.stats(reset=True)
        after = stats()
    tap.ok(reply["InSegs"] >= before["InSegs"] > 0 and
           all(v == 0 for v in after.values()),
           "GET_STATS with VTCP_A_STATS_RESET: replies with the counts, "
           "then they are 0", after)


# Bad requests: (what, payload, flags, errnos, extack text)
BAD_REQUESTS = [
    ("an attribute past VTCP_A_MAX for this command",
     genl_hdr(CMD_GET_STATS) + attr(6, b"\0\0\0\0"), 0,
     {errno.EINVAL}, "Unknown attribute type"),
    ("VTCP_A_STATS, which no request carries",
     genl_hdr(CMD_GET_STATS) + attr(A_STATS), 0, {errno.EINVAL},
     "Unsupported attribute"),
    ("the RESET flag with a payload",
     genl_hdr(CMD_GET_STATS) + attr(A_STATS_RESET, b"\1\0\0\0"), 0,
     {errno.EINVAL, errno.ERANGE}, "policy"),
    ("an attribute longer than the message",
     genl_hdr(CMD_GET_STATS) + struct.pack("=HH", 64, A_STATS_RESET),
     0, {errno.EINVAL}, ""),
    ("a nonzero reserved field",
     struct.pack("=BBH", CMD_GET_STATS, 1, 7), 0, {errno.EINVAL},
     "reserved"),
]


@case(len(BAD_REQUESTS) + 3)
def malformed():
    with ns("a"):
        g = Genl()
        fam = g.family

        def req(payload, flags=0, typ=None):
            return g.request(fam if typ is None else typ, flags, payload)
        results = []
        for desc, payload, flags, want, text in BAD_REQUESTS:
            e, msg = expect_errno(lambda: req(payload, flags))
            results.append((desc, e, msg))
            tap.ok(e in want and text in msg,
                   "bad request: %s: %s with an extack message" %
                   (desc, "/".join(errno.errorcode[w] for w in sorted(want))),
                   "errno %s, extack %r" % (e, msg))
        short, _ = expect_errno(lambda: req(b"\1"))
        unknown, _ = expect_errno(lambda: req(genl_hdr(99)))
        event, _ = expect_errno(lambda: req(genl_hdr(CMD_EVENT)))
        dump, _ = expect_errno(lambda: req(genl_hdr(CMD_GET_STATS), NLM_F_DUMP))
        nofam, _ = expect_errno(lambda: req(genl_hdr(CMD_GET_STATS), 0,
                                         typ=0xFFF0))
    tap.eq(short, errno.EINVAL, "bad request: a truncated genl header: EINVAL")
    tap.ok(unknown == event == dump == errno.EOPNOTSUPP,
           "bad request: an unknown command, VTCP_CMD_EVENT, or a dump: "
           "EOPNOTSUPP", (unknown, event, dump))
    tap.eq(nofam, errno.ENOENT, "bad request: a family id nobody has: ENOENT")


# ---------------------------------------------------------------- events

HANDSHAKE = {
    "client": ["CLOSED>SYN-SENT:CONNECT", "out[S]", "in[S.]",
               "SYN-SENT>ESTABLISHED:SYNACK", "out[.]"],
    "server": ["in[S]", "LISTEN>SYN-RECEIVED:SYN", "out[S.]", "in[.]",
               "SYN-RECEIVED>ESTABLISHED:ACK_OF_SYN"],
}
TEARDOWN = {
    "active": ["ESTABLISHED>FIN-WAIT-1:CLOSE", "out[F.]", "in[.]",
               "FIN-WAIT-1>FIN-WAIT-2:ACK_OF_FIN", "in[F.]",
               "FIN-WAIT-2>TIME-WAIT:FIN", "out[.]", "timer:TIME_WAIT",
               "TIME-WAIT>CLOSED:2MSL"],
    "passive": ["in[F.]", "ESTABLISHED>CLOSE-WAIT:FIN", "out[.]",
                "CLOSE-WAIT>LAST-ACK:CLOSE", "out[F.]", "in[.]",
                "LAST-ACK>CLOSED:ACK_OF_FIN"],
}


def segs(evs, type_):
    return [e for e in evs if e.type == type_]


def matches(out, inn):
    """What one end sent is what the other received, field by field."""
    f = lambda e: (e.seq, e.ack, e.flags, e.len, e.win)
    return [f(e) for e in out] == [f(e) for e in inn]


def connection(port, active):
    """Open, talk, close (@active first); events of a and b."""
    drain()
    c, s = connected_pair(port, timeout=5, server_timeout=5)
    cport = c.getsockname()[1]
    ends = {"a": c, "b": s}
    other = "b" if active == "a" else "a"
    ends[active].close()
    eof = ends[other].recv(10)
    ends[other].close()
    time.sleep(2 * MSL_MS / 1000 + 0.5)		# TIME-WAIT runs out
    return (cport, eof, events_of("a", (cport, port)),
            events_of("b", (cport, port)))


@case(4)
def rfc_order(active):
    cport, eof, ea, eb = connection(PORT + (active == "b"), active)
    roles = {"a": "active" if active == "a" else "passive",
             "b": "active" if active == "b" else "passive"}
    want_a = HANDSHAKE["client"] + TEARDOWN[roles["a"]]
    want_b = HANDSHAKE["server"] + TEARDOWN[roles["b"]]
    tag = "%s closes first" % active
    tap.eq(shorts(ea), want_a, "events, %s: a's handshake and teardown in "
           "RFC order" % tag)
    tap.eq(shorts(eb), want_b, "events, %s: b's handshake and teardown in "
           "RFC order" % tag)
    tap.ok(matches(segs(ea, EVT_SEG_OUT), segs(eb, EVT_SEG_IN)) and
           matches(segs(eb, EVT_SEG_OUT), segs(ea, EVT_SEG_IN)) and
           len(segs(ea, EVT_SEG_OUT)) >= 4,
           "events, %s: every segment one end sent, the other received: "
           "same seq, ack, flags, length, window" % tag)
    syn = segs(ea, EVT_SEG_OUT)[0] if ea else None
    synack = segs(eb, EVT_SEG_OUT)[0] if eb else None
    tap.ok(syn and synack and synack.ack == (syn.seq + 1) % 2**32 and
           all(e.cookie == ea[0].cookie for e in ea) and
           len({e.cookie for e in eb}) == 2 and
           all(e.time_ns >= p.time_ns for p, e in zip(ea, ea[1:])),
           "events, %s: SYN-ACK acks SYN + 1; one cookie for a's socket "
           "(TIME-WAIT too), b's listener and child; time only grows" % tag)


@case(4)
def retransmissions():
    with ns("a"), sysctls(rto_initial_ms=100, syn_retries=2):
        before = stats()
        c = vsock()
        c.settimeout(5)
        t0 = time.monotonic()
        r = expect_errno(lambda: c.connect((UNREACHABLE, 7200)))
        took = time.monotonic() - t0
        c.close()
        after = stats()
    evs = [e for e in subs["a"].events() if e.dport == 7200]
    want = ["CLOSED>SYN-SENT:CONNECT", "out[S]", "timer:SYN", "out[S]",
            "timer:SYN", "out[S]", "timer:SYN", "SYN-SENT>CLOSED:TIMEOUT"]
    tap.ok(r[0] == errno.ETIMEDOUT and 0.6 < took < 3,
           "unanswered SYN: connect() times out after 100 + 200 + 400 ms "
           "(%.2f s)" % took, r)
    tap.eq(shorts(evs), want, "unanswered SYN: three SYNs, each timer "
           "expiry announced, then TIMEOUT")
    tap.eq([e.retries for e in evs if e.short() == "timer:SYN"], [0, 1, 2],
           "unanswered SYN: the timer events count the expiries before them")
    d = {k: after[k] - before[k] for k in ("SynRetrans", "TimeoutRetrans",
                                            "Timeouts", "FinRetrans")}
    tap.eq(d, {"SynRetrans": 2, "TimeoutRetrans": 2, "Timeouts": 1,
               "FinRetrans": 0},
           "unanswered SYN: SynRetrans and TimeoutRetrans count the two "
           "resends")


def unspec_connect(sock):
    """connect(AF_UNSPEC) on @sock: 0, or the errno."""
    libc = ctypes.CDLL(None, use_errno=True)
    sa = struct.pack("=H14x", socket.AF_UNSPEC)
    rc = libc.connect(sock.fileno(), sa, len(sa))
    return ctypes.get_errno() if rc else 0


def no_timers(evs):
    return [x for x in shorts(evs) if not x.startswith("timer")]


@case(3)
def disconnect():
    """connect(AF_UNSPEC) goes through the table as DISCONNECT: an
    established connection is reset, a connecting one dropped quietly,
    and the socket, CLOSED, connects again."""
    port = PORT + 6
    drain()
    c, s = connected_pair(port, timeout=5)
    cport = c.getsockname()[1]
    err = unspec_connect(c)
    ea, eb = events_of("a", (cport, port)), events_of("b", (cport, port))
    tap.ok(err == 0 and no_timers(ea)[-2:] ==
           ["ESTABLISHED>CLOSED:DISCONNECT", "out[R.]"] and
           no_timers(eb)[-2:] == ["in[R.]", "ESTABLISHED>CLOSED:RST"],
           "connect(AF_UNSPEC), ESTABLISHED: DISCONNECT to CLOSED, then an "
           "RST, which resets the peer",
           "errno %d; a: %r; b: %r" % (err, shorts(ea), shorts(eb)))
    ls = listener(port)
    c.connect((B, port))
    s2, _ = ls.accept()
    c.sendall(b"again")
    tap.ok(recv_exactly(s2, 5) == b"again",
           "... and the socket connects again")
    for x in (c, s, s2, ls):
        x.close()
    time.sleep(2 * MSL_MS / 1000 + 0.5)		# TIME-WAIT runs out
    drain()

    with ns("a"):
        c = vsock()
    c.setblocking(False)
    c.connect_ex((UNREACHABLE, 7201))
    err = unspec_connect(c)
    evs = [e for e in subs["a"].events() if e.dport == 7201]
    tap.eq((err, no_timers(evs)),
           (0, ["CLOSED>SYN-SENT:CONNECT", "out[S]",
                "SYN-SENT>CLOSED:DISCONNECT"]),
           "connect(AF_UNSPEC), SYN-SENT: DISCONNECT to CLOSED, no RST")
    c.close()


@case(1)
def cookie_child():
    """A SYN cookie's child (syncookies=2) is born in SYN-RECEIVED as
    any child, and the ACK that made it establishes it through the table."""
    port = PORT + 7
    with ns("b"):
        sysctl("syncookies", 2)
    drain()
    c, s = connected_pair(port, timeout=5)
    cport = c.getsockname()[1]
    with ns("b"):
        sysctl("syncookies", 1)
    eb = [e.short() for e in events_of("b", (cport, port))
          if e.type == EVT_STATE]
    tap.eq(eb, ["LISTEN>SYN-RECEIVED:ACK_OF_SYN",
                "SYN-RECEIVED>ESTABLISHED:ACK_OF_SYN"],
           "a SYN cookie's child: born in SYN-RECEIVED, then ESTABLISHED "
           "on ACK_OF_SYN")
    for x in (c, s):
        x.close()
    time.sleep(2 * MSL_MS / 1000 + 0.5)		# TIME-WAIT runs out
    drain()


@case(1)
def isolation():
    with ns("c"):
        theirs = Diag().dump()
        cstats = Genl().stats()
    heard = subs["c"].events(0.2)
    tap.ok(not heard and not theirs and not any(cstats.values()),
           "namespace c heard no event, dumps no socket, counts nothing of "
           "a's and b's connections", "%d events, %d sockets, %r" %
           (len(heard), len(theirs), {k: v for k, v in cstats.items() if v}))


@case(2)
def events_need_net_admin():
    """The events carry every segment's sequence numbers: a local user
    who heard them could inject into any connection."""
    with ns("a"):
        refused = unprivileged(lambda: Genl().subscribe())
    tap.eq(refused, errno.EPERM, "events: joining the group without "
           "CAP_NET_ADMIN in the namespace: EPERM")
    own = as_container_root(lambda: Genl().subscribe())
    tap.eq(own, 0, "events: a container's root joins its own namespace's "
           "group (CAP_NET_ADMIN there)")


def no_pointers(evs):
    allowed = set(range(A_EV_TYPE, 24))
    if V6:		# an AF_INET6 socket's events: its IPv6 addresses
        allowed ^= {A_EV_SADDR, A_EV_DADDR, A_EV_SADDR6, A_EV_DADDR6}
    bad = [e for e in evs if set(e.raw) - allowed or e.cookie >> 48 or
           e.cmd != CMD_EVENT or (e.src, e.dst) != (A, A)]
    tap.ok(evs and not bad, "events: only the uapi's attributes (the "
           "family's addresses); cookies are counters, not kernel addresses",
           bad[:3])


@case(1)
def own_events():
    """A connection over a's loopback: what its events carry."""
    with ns("a"):
        ls = listener(PORT + 5, host="a", addr=A)
        drain()
        c = vsock()
        c.connect((A, PORT + 5))
        s, _ = ls.accept()
    no_pointers(subs["a"].events())
    for x in (c, s, ls):
        x.close()


tap.run([malformed, (rfc_order, "a"), (rfc_order, "b"), retransmissions,
         disconnect, cookie_child, counters, events_need_net_admin,
         isolation, own_events])
