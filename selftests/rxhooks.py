#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""What may stop a segment between IP and a vtcp socket, as it stops one
for Linux TCP (issue 15):

1. Socket filters (SO_ATTACH_FILTER, classic BPF; sk_filter()): a filter
   that accepts everything changes nothing; one that drops everything at
   a connection's receiver stops its data, each segment counted in
   InFilterDrop, until the filter goes and a retransmission gets through;
   at a listener it stops SYNs (no SYN-ACK, no child), as it does for TCP.
2. LSM hooks: security_inet_conn_request() for every SYN a listener takes
   and security_inet_conn_established() for every SYN-ACK that completes
   a connect() (counted by kprobe events), and a BPF LSM program that
   denies inet_conn_request leaves a vtcp listener, as a TCP one, without
   a child (security_sock_rcv_skb() is sk_filter()'s first step).
3. IPsec policy: a socket's own input policy (IP_XFRM_POLICY, over IPv6
   IPV6_XFRM_POLICY, here one that blocks) stops the data to that socket
   alone; a namespace's policy blocking vtcp input silences TIME-WAIT and
   closed ports as well.

Over IPv4, or IPv6 with VTCP_FAMILY=6 (Linux TCP's listeners, compared
with vtcp's, are then IPv6 ones too).
"""
import ctypes
import errno
import os
import socket
import struct
import subprocess
import time

from vtcplib import (ACK, AF, PSH, RST, SYN, V6, Sniffer, Tap, addr, case,
                     connected_pair, counters_delta, inject, ns,
                     recv_exactly, segment, sh, stats, sysctl, two_hosts)

SO_ATTACH_FILTER, SO_DETACH_FILTER = 26, 27
IP_XFRM_POLICY, IPV6_XFRM_POLICY = 17, 35
PORT = 7900

tap = Tap(family=True)
_libc = ctypes.CDLL(None, use_errno=True)
two_hosts()
for h in ("a", "b"):
    with ns(h):
        sysctl("rto_initial_ms", 200)
        sysctl("rto_min_ms", 50)
        sysctl("rto_max_ms", 400)
        sysctl("msl_ms", 2000)


def b_stats():
    with ns("b"):
        return stats()


def cbpf(verdict):
    """A classic BPF program of one instruction, "ret #verdict", and the
    struct sock_fprog that points at it (keep both alive)."""
    insn = ctypes.create_string_buffer(struct.pack("HBBI", 0x06, 0, 0,
                                                   verdict))
    return insn, struct.pack("HxxxxxxQ", 1, ctypes.addressof(insn))


ACCEPT, DROP = cbpf(0xFFFFFFFF), cbpf(0)


def attach(sock, prog):
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, prog[1])


def nothing_to_read(sock, wait=1.0):
    time.sleep(wait)
    try:
        return sock.recv(100, socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None


def blocked_then_passed(port, desc, block, unblock, counter=None):
    """A connection a -> b: block(s) at b's end; a's data must not arrive
    (and @counter, of host b, grows) until unblock(s), then exactly once."""
    c, s = connected_pair(port)
    before = b_stats()
    block(s)
    c.sendall(b"blocked")
    got = nothing_to_read(s)
    d = counters_delta(before, b_stats())
    tap.ok(got is None and (not counter or d[counter] >= 1),
           "%s: data for the socket does not reach it%s" %
           (desc, " (%s +%d)" % (counter, d.get(counter, 0))
              if counter else ""),
           "it read %r; %s" % (got, d))
    unblock(s)
    s.settimeout(5)
    try:
        got = s.recv(100)
    except OSError as e:
        got = str(e)
    tap.eq(got, b"blocked", "%s: once it goes, a retransmission gets "
           "through, once" % desc)
    c.close()
    s.close()


# 1. Socket filters.
@case(1)
def accepting_filter():
    before = b_stats()
    c, s = connected_pair(PORT, before=lambda c: attach(c, ACCEPT),
                          listener_before=lambda ls: attach(ls, ACCEPT),
                          timeout=5)
    data = os.urandom(200000)
    c.sendall(data)
    got = recv_exactly(s, len(data))
    s.sendall(b"back")
    back = c.recv(16)
    d = counters_delta(before, b_stats())
    tap.ok(got == data and back == b"back" and d.get("InFilterDrop", 0) == 0,
           "a filter that accepts everything: 200 KB one way, a reply the "
           "other, nothing counted in InFilterDrop", d.get("InFilterDrop"))
    c.close()
    s.close()


@case(2)
def dropping_filter():
    blocked_then_passed(PORT + 1, "SO_ATTACH_FILTER dropping everything",
                        lambda s: attach(s, DROP),
                        lambda s: s.setsockopt(socket.SOL_SOCKET,
                                               SO_DETACH_FILTER, 0),
                        "InFilterDrop")


def listener_filtered(proto):
    """A SYN at a listener whose filter drops everything, then accepts:
    (SYN-ACKs while it dropped, InFilterDrop, accepted once it accepts)."""
    with ns("b"):
        sn = Sniffer("b0", proto)
        ls = socket.socket(AF, socket.SOCK_STREAM, proto)
        attach(ls, DROP)
        ls.bind((addr("b"), PORT + proto))
        ls.listen(8)
    with ns("a"):
        c = socket.socket(AF, socket.SOCK_STREAM, proto)
    before = b_stats()
    c.setblocking(False)
    c.connect_ex((addr("b"), PORT + proto))
    time.sleep(1.5)
    synacks = sn.all(lambda g: g.src == addr("b") and g.has(SYN | ACK))
    dropped = counters_delta(before, b_stats()).get("InFilterDrop", 0)
    attach(ls, ACCEPT)
    ls.settimeout(8)
    try:
        ls.accept()[0].close()
        ok = True
    except OSError:
        ok = False
    sn.close()
    c.close()
    ls.close()
    return len(synacks), dropped, ok


@case(2)
def listener_filter():
    tcp = listener_filtered(socket.IPPROTO_TCP)
    vtcp = listener_filtered(253)
    tap.ok(vtcp[0] == 0 and vtcp[1] >= 1 and tcp[0] == 0,
           "a listener's filter dropping everything: no SYN-ACK, the SYNs "
           "counted in InFilterDrop (%d), as for Linux TCP" % vtcp[1],
           "vtcp: %d SYN-ACKs; TCP: %d" % (vtcp[0], tcp[0]))
    tap.ok(vtcp[2] and tcp[2], "and once it accepts, the SYN's retransmission "
           "makes a connection (vtcp and TCP)",
           "vtcp accepted: %s; TCP: %s" % (vtcp[2], tcp[2]))


# 2. LSM hooks.
def tracefs():
    for path in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.exists(path + "/kprobe_events"):
            return path
    sh("mount -t tracefs nodev /sys/kernel/tracing")
    return "/sys/kernel/tracing"


TRACE = tracefs()
HOOKS = ("security_inet_conn_request", "security_inet_conn_established")


def kprobes(on):
    """Kprobe events on HOOKS, enabled; or gone. (kprobe_events cannot
    seek to its end, as Python's append mode does: os.open().)"""
    if not on:
        with open(TRACE + "/events/vtcp_rxhooks/enable", "w") as f:
            f.write("0")
    fd = os.open(TRACE + "/kprobe_events", os.O_WRONLY | os.O_APPEND)
    try:
        for fn in HOOKS:
            os.write(fd, (("p:vtcp_rxhooks/%s %s\n" % (fn, fn)) if on else
                          "-:vtcp_rxhooks/%s\n" % fn).encode())
    finally:
        os.close(fd)
    if on:
        with open(TRACE + "/events/vtcp_rxhooks/enable", "w") as f:
            f.write("1")


def hits():
    """{hook: calls} from kprobe_profile."""
    out = {}
    with open(TRACE + "/kprobe_profile") as f:
        for line in f:
            w = line.split()
            if len(w) >= 2 and w[0] in HOOKS:
                out[w[0]] = int(w[1])
    return out


def count_hook_calls(n):
    """{hook: calls} over @n connections a -> b; None if the kernel has
    no kprobe events there (the debug kernel: no function tracer)."""
    try:
        kprobes(True)
    except OSError as e:
        tap.msg("kprobe events refused: %s" % e)
        try:
            kprobes(False)
        except OSError:
            pass
        return None
    h0 = hits()
    for i in range(n):
        c, s = connected_pair(PORT + 10 + i)
        c.close()
        s.close()
    h1 = hits()
    kprobes(False)
    return {k: h1.get(k, 0) - h0.get(k, 0) for k in HOOKS}


def btf_func_id(name):
    """The BTF type id of function @name in the kernel's BTF."""
    with open("/sys/kernel/btf/vmlinux", "rb") as f:
        btf = f.read()
    hdr_len, type_off, type_len, str_off, str_len = \
        struct.unpack_from("<IIIII", btf, 4)
    strs = btf[hdr_len + str_off:hdr_len + str_off + str_len]
    name_off = strs.find(b"\0" + name.encode() + b"\0") + 1
    extra = {1: 4, 3: 12, 14: 4, 17: 4}		# INT, ARRAY, VAR, DECL_TAG
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
    pos, end, tid = hdr_len + type_off, hdr_len + type_off + type_len, 1
    while name_off > 0 and pos < end:
        noff, info = struct.unpack_from("<II", btf, pos)
        kind, vlen = info >> 24 & 0x1F, info & 0xFFFF
        if kind == 12 and noff == name_off:		# FUNC
            return tid
        pos += 12 + extra.get(kind, 0) + per_member.get(kind, 0) * vlen
        tid += 1
    return None


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    r = _libc.syscall(321, cmd, buf, 128)		# x86_64 bpf()
    if r < 0:
        raise OSError(ctypes.get_errno(), "bpf(%d)" % cmd)
    return r


def lsm_deny(hook):
    """A BPF LSM program returning -EPERM from @hook, attached: its link's
    file descriptor (closing it detaches the program)."""
    tid = btf_func_id("bpf_lsm_" + hook)
    if tid is None:
        raise OSError(errno.ENOENT, "no bpf_lsm_%s in BTF" % hook)
    insns = ctypes.create_string_buffer(
        struct.pack("<BBhi", 0xB7, 0, 0, -errno.EPERM) +	# r0 = -EPERM
        struct.pack("<BBhi", 0x95, 0, 0, 0))			# exit
    lic = ctypes.create_string_buffer(b"GPL")
    attr = struct.pack("<IIQQIIQII16sIIIIQIIQIII", 29, 2,	# LSM
                       ctypes.addressof(insns), ctypes.addressof(lic),
                       0, 0, 0, 0, 0, b"vtcp_deny", 0, 27,	# LSM_MAC
                       0, 0, 0, 0, 0, 0, 0, tid, 0)
    prog = bpf(5, attr)					# BPF_PROG_LOAD
    try:
        return bpf(17, struct.pack("<QI", 0, prog))	# RAW_TP_OPEN
    finally:
        os.close(prog)


def refused_child(proto, port):
    """Did a listener of @proto make a child for a connect() while denied?"""
    with ns("b"):
        ls = socket.socket(AF, socket.SOCK_STREAM, proto)
        ls.bind((addr("b"), port))
        ls.listen(8)
    ls.settimeout(1.5)
    with ns("a"):
        c = socket.socket(AF, socket.SOCK_STREAM, proto)
    c.setblocking(False)
    c.connect_ex((addr("b"), port))
    try:
        ls.accept()[0].close()
        child = True
    except OSError:
        child = False
    c.close()
    ls.close()
    return not child


N = 5			# connections while the hooks are counted


@case(len(HOOKS))
def lsm_hooks_called():
    calls = count_hook_calls(N)
    if calls is None:
        for hook in HOOKS:
            tap.skip("LSM: %s() for each of %d connections" % (hook, N),
                     "no kprobe events on the hooks in this kernel")
    else:
        tap.ok(calls["security_inet_conn_request"] >= N,
               "LSM: security_inet_conn_request() for each of %d passive "
               "opens (%d calls)" % (N, calls["security_inet_conn_request"]),
               calls)
        tap.ok(calls["security_inet_conn_established"] >= N,
               "LSM: security_inet_conn_established() for each of %d "
               "connect()s (%d calls)" %
               (N, calls["security_inet_conn_established"]), calls)


@case(2)
def lsm_denial():
    try:
        link = lsm_deny("inet_conn_request")
    except OSError as e:
        link = None
        tap.skip("LSM: a BPF LSM program denying inet_conn_request: no "
                 "child", "no BPF LSM here (%s)" % e)
    if link is not None:
        before = b_stats()
        vtcp = refused_child(253, PORT + 20)
        tcp = refused_child(socket.IPPROTO_TCP, PORT + 21)
        os.close(link)
        d = counters_delta(before, b_stats())
        tap.ok(vtcp and tcp and d["AttemptFails"] >= 1 and
               d["PassiveOpens"] == 0, "LSM: a BPF LSM program denying "
               "inet_conn_request: no child, AttemptFails +%d (TCP: no child "
               "either)" % d["AttemptFails"],
               "vtcp refused: %s, TCP refused: %s; %s" % (vtcp, tcp, d))
    c, s = connected_pair(PORT + 22)
    c.sendall(b"again")
    tap.eq(s.recv(16), b"again", "LSM: connections work again once the "
           "program is gone")
    c.close()
    s.close()


# 3. IPsec policy.
XFRM_INF = (1 << 64) - 1


def block_in_policy():
    """struct xfrm_userpolicy_info: input, any selector of FAMILY, action
    block."""
    sel = struct.pack("<16s16sHHHHHBBBxxxiI", b"", b"", 0, 0, 0, 0,
                      AF, 0, 0, 0, 0, 0)
    lft = struct.pack("<8Q", *([XFRM_INF] * 4 + [0] * 4))
    cur = struct.pack("<4Q", 0, 0, 0, 0)
    tail = struct.pack("<IIBBBBxxxx", 0, 0, 0, 1, 0, 0)	# in, block
    return sel + lft + cur + tail


XFRM_OPT = (socket.IPPROTO_IPV6, IPV6_XFRM_POLICY) if V6 else \
    (socket.IPPROTO_IP, IP_XFRM_POLICY)


@case(2)
def socket_policy():
    subprocess.run(["modprobe", "xfrm_user"], stderr=subprocess.DEVNULL)
    blocked_then_passed(PORT + 2, "%s blocking input" %
                        ("IPV6_XFRM_POLICY" if V6 else "IP_XFRM_POLICY"),
                        lambda s: s.setsockopt(*XFRM_OPT, block_in_policy()),
                        lambda s: s.setsockopt(*XFRM_OPT, None, 0))


@case(2)
def namespace_policy():
    # A namespace's policy blocking protocol 253 input at host a: TIME-WAIT
    # and a closed port answer nothing (IP checked it for vtcp until vtcp
    # checked it itself, as TCP, with the socket's own policy).
    c, s = connected_pair(PORT + 30)
    cport = c.getsockname()[1]
    c.close()				# a closes first: a is in TIME-WAIT
    s.recv(1)
    s.close()
    time.sleep(0.3)
    with ns("a"):
        sn = Sniffer("a0")

    def probes():
        """Data to a's TIME-WAIT entry, a SYN to a closed port: what a
        sent."""
        mark = len(sn.all())
        a, b = addr("a"), addr("b")
        with ns("b"):
            inject(b, a, segment(b, a, PORT + 30, cport, 12345, 0,
                                 ACK | PSH, payload=b"x"))
            inject(b, a, segment(b, a, 5555, PORT + 31, 1000, 0, SYN))
        time.sleep(0.5)
        return [g for g in sn.all()[mark:] if g.src == a]

    answers = probes()
    sh("ip -n a xfrm policy add src %s dst %s proto 253 dir in action "
       "block" % (addr("b"), addr("a")))
    blocked = probes()
    sh("ip -n a xfrm policy flush")
    sn.close()
    tap.ok(any(g.has(ACK) and g.sport == cport for g in answers) and
           any(g.has(RST) and g.sport == PORT + 31 for g in answers),
           "without a policy, TIME-WAIT answers data with an ACK and a "
           "closed port a SYN with an RST", answers)
    tap.ok(not blocked, "a namespace policy blocking protocol 253 input: "
           "TIME-WAIT and the closed port answer nothing", blocked)


tap.run([accepting_filter, dropping_filter, listener_filter,
         lsm_hooks_called, lsm_denial, socket_policy, namespace_policy])
