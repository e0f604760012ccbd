#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VRF (l3mdev): host b's link b0 is a slave of vrf-blue (table 10), and
host a connects to host b from outside it, over IPv4, or IPv6 with
VTCP_FAMILY=6 (the VRF's IPv6 routes: `ip -6 route show vrf vrf-blue`).
Each case is run for vtcp and for Linux TCP (of the same family) in the
same topology, and both must come out as TCP is meant to:

1. A listener bound to the VRF device (SO_BINDTODEVICE vrf-blue) accepts.
2. A listener bound to the slave itself (SO_BINDTODEVICE b0) accepts.
3. A listener in the default VRF (bound to no device) refuses the
   connection (an RST: ECONNREFUSED) while net.ipv4.tcp_l3mdev_accept is
   0 (the default), and accepts it once that is 1. vtcp's lookup is the
   kernel's inet (or inet6) lookup, which reads that setting for every
   protocol it serves, IPv6 included: vtcp has no setting of its own.
4. TIME-WAIT inside the VRF: the client's next SYN from the same port ends
   the entry its last connection left at b (RFC 6191), and the listener
   bound to the slave takes it.
"""
import contextlib
import os
import socket
import subprocess
import time

from vtcplib import (AF, V6, Tap, addr, case, counters_delta, ns, sh,
                     stats, sysctl, sysctls, two_hosts)

SO_BINDTODEVICE = 25
PORT = 8000
VTCP, TCP = 253, socket.IPPROTO_TCP

tap = Tap(family=True)


def l3mdev_accept(value):
    """Host b's net.ipv4.tcp_l3mdev_accept at @value, for a block."""
    return sysctls("b", **{"net.ipv4.tcp_l3mdev_accept": value})


def serve(proto, port, dev):
    """A listener of @proto at host b on @port, bound to device @dev."""
    with ns("b"):
        ls = socket.socket(AF, socket.SOCK_STREAM, proto)
        if dev:
            ls.setsockopt(socket.SOL_SOCKET, SO_BINDTODEVICE, dev.encode())
        ls.bind(("::" if V6 else "0.0.0.0", port))
        ls.listen(8)
    ls.settimeout(3)
    return ls


def connect(proto, port, ls, cport=0):
    """Connect from host a (from @cport if not 0) and exchange a byte each
    way: ("accepted", client, server), or (what went wrong, None, None)."""
    with ns("a"):
        c = socket.socket(AF, socket.SOCK_STREAM, proto)
    c.settimeout(3)
    try:
        if cport:
            c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            c.bind((addr("a"), cport))
        c.connect((addr("b"), port))
        s, _ = ls.accept()
        s.settimeout(3)
        c.sendall(b"p")
        s.sendall(b"q")
        if s.recv(1) == b"p" and c.recv(1) == b"q":
            return "accepted", c, s
        res = "no data"
    except ConnectionRefusedError:
        res = "refused"
    except OSError as e:
        res = os.strerror(e.errno) if e.errno else str(e)
    c.close()
    return res, None, None


def outcome(proto, port, dev):
    ls = serve(proto, port, dev)
    res, c, s = connect(proto, port, ls)
    for sock in (c, s, ls):
        if sock:
            sock.close()
    return res


# Listeners at b, and what a connection from a gets: (what, outcome,
# the device it is bound to, port, b's tcp_l3mdev_accept or None)
LISTENERS = (
    ("a listener bound to the VRF device", "accepted", "vrf-blue", PORT,
     None),
    ("a listener bound to the VRF's slave b0", "accepted", "b0", PORT + 2,
     None),
    ("a default-VRF listener, tcp_l3mdev_accept 0", "refused", None,
     PORT + 4, 0),
    ("a default-VRF listener, tcp_l3mdev_accept 1", "accepted", None,
     PORT + 6, 1),
)


@case(len(LISTENERS))
def listeners():
    for desc, want, dev, port, l3mdev in LISTENERS:
        with (contextlib.nullcontext() if l3mdev is None else
              l3mdev_accept(l3mdev)):
            got = {p: outcome(p, port + (p == TCP), dev)
                   for p in (VTCP, TCP)}
        tap.ok(got[VTCP] == want and got[TCP] == want,
               "%s: %s, as Linux TCP" % (desc, want),
               "vtcp: %s; TCP: %s" % (got[VTCP], got[TCP]))


def timewait_reopened(proto, port):
    """b closes first (TIME-WAIT at b), then a connects again from the
    same port: accepted by the listener bound to b0?"""
    ls = serve(proto, port, "b0")
    res, c, s = connect(proto, port, ls, 43000 + port % 100)
    if res != "accepted":
        ls.close()
        return "first connection " + res
    cport = c.getsockname()[1]
    s.close()
    c.recv(1)				# the FIN
    c.close()
    time.sleep(0.3)
    res, c, s = connect(proto, port, ls, cport)
    for sock in (c, s, ls):
        if sock:
            sock.close()
    return res


@case(1)
def timewait_in_vrf():
    with ns("b"):
        before = stats()
    got = {p: timewait_reopened(p, PORT + 8 + (p == TCP))
           for p in (VTCP, TCP)}
    with ns("b"):
        d = counters_delta(before, stats())
    tap.ok(got[VTCP] == "accepted" and got[TCP] == "accepted" and
           d["TimeWaitReopened"] == 1, "a SYN ends a TIME-WAIT entry inside "
           "the VRF and the listener bound to the slave takes it, as Linux "
           "TCP", "vtcp: %s; TCP: %s; TimeWaitReopened +%d" %
           (got[VTCP], got[TCP], d["TimeWaitReopened"]))


@case(listeners.results + timewait_in_vrf.results)
def no_vrf_module():
    for desc, want, _, _, _ in LISTENERS:
        tap.skip("%s: %s" % (desc, want), "no vrf module")
    tap.skip("a SYN ends a TIME-WAIT entry inside the VRF", "no vrf module")


if subprocess.run(["modprobe", "vrf"]).returncode:
    tap.run([no_vrf_module])

two_hosts()
sh("ip -n b link add vrf-blue type vrf table 10")
sh("ip -n b link set vrf-blue up")
sh("ip -n b link set b0 master vrf-blue")	# its routes move to table 10
if V6:
    # Enslaving cycles b0: its IPv6 address may go with the link down.
    sh("ip -n b addr replace %s/64 dev b0 nodad" % addr("b"))
    sh("ip -n b link set b0 up")
    tap.msg("b's IPv6 routes in the VRF: %s" % subprocess.run(
        "ip -n b -6 route show vrf vrf-blue", shell=True,
        capture_output=True, text=True).stdout.replace("\n", "; "))
with ns("a"):
    sysctl("rto_initial_ms", 200)
tap.run([listeners, timewait_in_vrf])

