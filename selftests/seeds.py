#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The four scenarios of RFC 9293 that vtcp was seeded with, between two
hosts on a veth pair (over IPv4, or IPv6 with VTCP_FAMILY=6), asserted on
the segments a sniffer saw."""
import errno
import select
import socket
import time

from vtcplib import (ACK, FIN, RST, SYN, Sniffer, Tap, case, connected_pair,
                     inject, ns, segment, sh, stats, sysctl, two_hosts, vsock)
from vtcplib import addr, u32_match

A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)

tap = Tap(family=True)
two_hosts()


def drop_at_b(flags=None):
    """b drops our segments (only those whose flags are exactly @flags, if
    given) as they arrive."""
    sh("ip netns exec b tc qdisc add dev b0 clsact 2>/dev/null; true")
    sh("ip netns exec b tc filter add dev b0 ingress pref 1 %s action drop" %
       u32_match(flags))


def undrop_at_b():
    sh("ip netns exec b tc filter del dev b0 ingress pref 1")


def listener(port):
    with ns("b"):
        ls = vsock()
        ls.bind((B, port))
        ls.listen(8)
        ls.setblocking(False)
    return ls


@case(5)
def stale_syn():
    """1: a stale SYN: SYN-ACK, RST from the other host, nothing accepted."""
    with ns("b"):
        sysctl("rto_initial_ms", 300)
    ls = listener(7001)
    with ns("a"):
        sn = Sniffer("a0")
        inject(A, B, segment(A, B, 40000, 7001, 1000, flags=SYN))
        synack = sn.wait(lambda s: s.src == B and s.is_(SYN | ACK))
        rst = sn.wait(lambda s: s.src == A and s.has(RST))
    tap.ok(synack and synack[0].ack == 1001,
           "stale SYN: the listener answers SYN-ACK for it", sn.all())
    tap.ok(rst and rst[0].seq == synack[0].ack if synack and rst else False,
           "stale SYN: the other host answers RST <SEQ=SEG.ACK>", sn.all())
    time.sleep(1.0)		# three RTOs: no SYN-ACK may come again
    tap.eq(len(sn.all(lambda s: s.src == B and s.is_(SYN | ACK))), 1,
           "stale SYN: the half-open connection is gone (no retransmission)")
    tap.errno(ls.accept, errno.EAGAIN, "stale SYN: accept() never returns it")
    with ns("b"):
        st = stats()
    tap.ok(st["PassiveOpens"] == 1 and st["InRsts"] >= 1,
           "stale SYN: counted as a passive open reset", st)
    sn.close()
    ls.close()


@case(3)
def synack_not_for_us():
    """2: in SYN-SENT, a SYN-ACK with a wrong ACK gets RST; connect goes on."""
    ls = listener(7002)
    drop_at_b()
    with ns("a"):
        sn = Sniffer("a0")
        c = vsock()
        c.setblocking(False)
        try:
            c.connect((B, 7002))
        except BlockingIOError:
            pass
        syn = sn.wait(lambda s: s.src == A and s.is_(SYN))
    with ns("b"):
        bogus = syn[0].seq + 1000 if syn else 12345
        inject(B, A, segment(B, A, 7002, syn[0].sport if syn else 1, 555,
                             bogus, flags=SYN | ACK))
    with ns("a"):
        rst = sn.wait(lambda s: s.src == A and s.has(RST))
    tap.ok(rst and rst[0].seq == bogus and not rst[0].has(ACK),
           "bad SYN-ACK in SYN-SENT: answered <SEQ=SEG.ACK><CTL=RST>", sn.all())
    err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    tap.eq(err, 0, "bad SYN-ACK in SYN-SENT: the connect is not failed")
    undrop_at_b()
    with ns("a"):
        writable = select.select([], [c], [], 10)[1]
        err = c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        sn.wait(lambda s: s.src == B and s.is_(SYN | ACK) and s.seq != 555)
        try:
            peer = c.getpeername()[:2]
        except OSError as e:
            peer = e
    tap.ok(bool(writable) and err == 0 and peer == (B, 7002) and
           len(sn.all(lambda s: s.src == A and s.is_(SYN))) >= 2,
           "bad SYN-ACK in SYN-SENT: the connect completes after a retransmitted SYN",
           "writable=%s err=%s peer=%s\n%s" % (bool(writable), err, peer,
                                               "\n".join(map(repr, sn.all()))))
    sn.close()
    c.close()
    ls.close()


@case(5)
def lost_last_ack():
    """3: the last ACK is lost: FIN again, ACK again, 2MSL starts again."""
    with ns("a"):
        sysctl("msl_ms", 1500)		# 2MSL (3 s) outlasts every FIN gap
        before = stats()
    with ns("b"):
        sysctl("rto_initial_ms", 500)
        sysctl("rto_min_ms", 500)
        sysctl("fin_retries", 3)
    c, s = connected_pair(7003, timeout=None)
    with ns("a"):
        sn = Sniffer("a0")
    c.close()				# a: FIN-WAIT-1 .. FIN-WAIT-2
    time.sleep(0.3)
    drop_at_b(ACK)			# a's bare ACKs vanish
    s.close()				# b: LAST-ACK, its FIN is never ACKed
    with ns("a"):
        fins = sn.wait(lambda x: x.src == B and x.has(FIN), count=4, timeout=12)
        t_end = time.monotonic() + 10
        expired_at = None
        while time.monotonic() < t_end:
            if stats()["TimeWaitExpired"] > before["TimeWaitExpired"]:
                expired_at = time.monotonic()
                break
            time.sleep(0.05)
        after = stats()
    undrop_at_b()
    acks = [x for x in sn.all(lambda x: x.src == A and x.is_(ACK))]
    tap.ok(len(fins) >= 3, "lost last ACK: the passive closer retransmits its "
           "FIN on its timer (%d FINs)" % len(fins), sn.all())
    tap.ok(len(acks) >= len(fins), "lost last ACK: TIME-WAIT ACKs every FIN",
           sn.all())
    tap.ok(after["TimeWaitRestarted"] - before["TimeWaitRestarted"] >= 2,
           "lost last ACK: each retransmitted FIN restarts 2MSL (counter)")
    last_fin = fins[-1].t if fins else 0
    tap.ok(expired_at is not None and 2.7 <= expired_at - last_fin <= 3.8,
           "lost last ACK: TIME-WAIT ends 2MSL after the last FIN (%.2f s)" %
           ((expired_at or 0) - last_fin))
    tap.ok(fins and expired_at and expired_at - fins[0].t > 4.5,
           "lost last ACK: ... not 2MSL after the first one")
    sn.close()


@case(5)
def timewait_holds_port():
    """4: TIME-WAIT holds the 4-tuple: bind fails until 2MSL is over."""
    with ns("a"):
        sysctl("msl_ms", 1500)
    c, s = connected_pair(7004, client_port=5555, timeout=None)
    c.close()
    time.sleep(0.2)
    s.close()
    time.sleep(0.3)
    with ns("a"):
        sn = Sniffer("a0")
        t0 = time.monotonic()
        n = vsock()
        tap.errno(lambda: n.bind((A, 5555)), errno.EADDRINUSE,
                  "TIME-WAIT: bind to the same port fails (EADDRINUSE)")
    with ns("b"):
        # An old segment of the old connection: TIME-WAIT answers for it.
        inject(B, A, segment(B, A, 7004, 5555, 1, 1, flags=ACK,
                             payload=b"old data"))
    with ns("a"):
        ack = sn.wait(lambda x: x.src == A and x.is_(ACK) and x.dport == 7004)
        tap.ok(bool(ack), "TIME-WAIT: an old segment gets an ACK, lands nowhere")
    with ns("b"):
        # RFC 1337: an RST must not end TIME-WAIT early.
        inject(B, A, segment(B, A, 7004, 5555, ack[0].ack if ack else 0,
                             flags=RST))
    with ns("a"):
        time.sleep(0.2)
        tap.errno(lambda: n.bind((A, 5555)), errno.EADDRINUSE,
                  "TIME-WAIT: an RST does not end it (RFC 1337)")
        while time.monotonic() - t0 < 3.5:
            try:
                n.bind((A, 5555))
                break
            except OSError:
                time.sleep(0.1)
        waited = time.monotonic() - t0
        tap.ok(2.2 <= waited + 0.5 <= 3.6,
               "TIME-WAIT: bind succeeds once 2MSL is over (after %.2f s)" % waited)
        ls = listener(7005)
        n.settimeout(5)
        try:
            n.connect((B, 7005))
            ok = True
        except OSError:
            ok = False
        tap.ok(ok, "TIME-WAIT: the port connects again afterwards")
    n.close()
    ls.close()
    sn.close()


@case(1)
def rst_to_closed_port():
    with ns("a"):
        c = vsock()
        c.settimeout(5)
        tap.errno(lambda: c.connect((B, 7999)), errno.ECONNREFUSED,
                  "connect to a closed port: ECONNREFUSED (RST)")
        c.close()


tap.run([stale_syn, synack_not_for_us, lost_last_ack, timewait_holds_port,
         rst_to_closed_port])
