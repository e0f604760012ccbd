#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A small fuzzer of vtcp's netlink interfaces: a few thousand malformed
sock_diag and genetlink messages (truncated structs, stray, oversized or
nested attributes, bad bytecode, wrong families and commands, random
bytes), each answered with an error or a result, never a hang; the kernel
log stays clean (run_tests checks it), and the interfaces still work
afterwards. The seed is printed, and VTCP_FUZZ_SEED replays a run. The
one connection the requests aim at, and most of their families, are
IPv4's, or IPv6's with VTCP_FAMILY=6."""
import errno
import os
import random
import socket
import struct

from vtcplib import AF, Tap, addr, case, listener, ns, two_hosts, vsock
from vtcpnl import (NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE,
                    NLMSG_ERROR, SOCK_DESTROY, SOCK_DIAG_BY_FAMILY, Diag,
                    Genl, attr, diag_req, genl_hdr, sockid)

ROUNDS = int(os.environ.get("VTCP_FUZZ_ROUNDS", "3000"))
SEED = int(os.environ.get("VTCP_FUZZ_SEED", "0")) or random.randrange(1 << 30)
# Errors a malformed request may get; anything else is a finding.
EXPECTED = {0, errno.EINVAL, errno.ENOENT, errno.EOPNOTSUPP, errno.ERANGE,
            errno.EPERM, errno.EMSGSIZE, errno.E2BIG, errno.EBADF,
            errno.ENOMSG, errno.EAFNOSUPPORT}

A, B = addr("a"), addr("b")	# in the run's family (VTCP_FAMILY)
OTHER_AF = socket.AF_INET if AF == socket.AF_INET6 else socket.AF_INET6

tap = Tap(family=True)
rng = random.Random(SEED)
tap.msg("seed %d, %d rounds (VTCP_FUZZ_SEED=%d replays)" % (SEED, ROUNDS,
                                                           SEED))
two_hosts()
ls = listener(7300)
with ns("a"):
    c = vsock()
    c.connect((B, 7300))
s, _ = ls.accept()
CPORT = c.getsockname()[1]


def rbytes(n):
    return bytes(rng.randrange(256) for _ in range(n))


def rattrs(maxtype):
    """A run of attributes, some well formed, some not."""
    out = b""
    for _ in range(rng.randrange(4)):
        kind = rng.randrange(5)
        typ = rng.randrange(maxtype + 4)
        if kind == 0:
            out += attr(typ, rbytes(rng.choice((0, 1, 2, 4, 8, 16, 60))))
        elif kind == 1:
            out += attr(typ, rattrs(maxtype), nested=True)
        elif kind == 2:		# a length that lies
            out += struct.pack("=HH", rng.choice((0, 1, 3, 200, 0xFFFF)),
                               typ) + rbytes(rng.randrange(8))
        elif kind == 3:
            out += rbytes(rng.randrange(1, 12))
        else:
            out += attr(typ | rng.choice((0x4000, 0x8000)), rbytes(4))
    return out


def bytecode():
    """inet_diag bytecode: ops with random codes, jumps and ports."""
    ops = b""
    for _ in range(rng.randrange(1, 6)):
        ops += struct.pack("=BBH", rng.randrange(16),
                           rng.choice((0, 4, 8, 12, 16, 3, 255)),
                           rng.choice((0, 4, 8, 12, 16, 0xFFFF, 7000)))
    return attr(1, ops)


def diag_message():
    """(type, flags, payload) of a sock_diag request gone wrong."""
    # Types: not 18 and 19, TCP's and DCCP's old requests (they load
    # modules); SOCK_DESTROY never names a's real connection.
    states = rng.choice((0xFFFFFFFF, 0, 1 << rng.randrange(32),
                         rng.randrange(1 << 32)))
    family = rng.choice((AF, AF, OTHER_AF, 250, 46))	# >= AF_MAX: EINVAL
    sid = sockid(rng.randrange(65536), rng.randrange(65536), A, B,
                 rng.choice((None, rng.randrange(1 << 64))))
    typ = rng.choice((SOCK_DIAG_BY_FAMILY, SOCK_DIAG_BY_FAMILY, SOCK_DESTROY,
                      rng.choice((16, 17)), rng.randrange(22, 40)))
    if typ == SOCK_DIAG_BY_FAMILY and rng.randrange(3) == 0:
        sid = sockid(CPORT, 7300, A, B,		# a's real connection
                     rng.choice((None, rng.randrange(1 << 64))))
    req = diag_req(states, rng.randrange(256), family, sid=sid)
    kind = rng.randrange(6)
    if kind == 0:
        payload = req[:rng.randrange(len(req))]		# truncated
    elif kind == 1:
        payload = req + rattrs(4)
    elif kind == 2:
        payload = req + bytecode()
    elif kind == 3:
        payload = rbytes(rng.randrange(80))
        if len(payload) >= 2:				# stay on vtcp
            payload = bytes((rng.choice((2, 10, 250)), 253)) + payload[2:]
    elif kind == 4:		# INET_DIAG_REQ_PROTOCOL, right or wrong
        payload = req + attr(3, struct.pack("=I", 253)
                             if rng.randrange(2) else rbytes(2))
    else:
        payload = req + rbytes(rng.randrange(16))
    flags = rng.choice((0, NLM_F_DUMP))
    return typ, flags, payload


def genl_message(family):
    cmd = rng.choice((1, 1, 1, 2, 0, rng.randrange(256)))
    kind = rng.randrange(5)
    hdr = genl_hdr(cmd, rng.choice((1, 0, 7)))
    if kind == 0:
        payload = hdr[:rng.randrange(4)]
    elif kind == 1:
        payload = hdr + rattrs(24)
    elif kind == 2:
        payload = struct.pack("=BBH", cmd, 1, rng.randrange(65536)) + \
            rattrs(6)
    elif kind == 3:
        payload = rbytes(rng.randrange(64))
    else:
        payload = hdr + attr(5, rbytes(rng.choice((0, 0, 1, 4))))
    typ = rng.choice((family, family, family, rng.randrange(16, 0xFFFF)))
    flags = rng.choice((0, 0, NLM_F_DUMP))
    return typ, flags, payload


def answer(nl, seq):
    """The errno that ends the answer to @seq (0: ACK or DONE)."""
    while True:
        for typ, flags, mseq, payload in nl.messages():
            if mseq != seq:
                continue
            if typ == NLMSG_ERROR:
                return -struct.unpack_from("=i", payload)[0]
            if typ == NLMSG_DONE:
                return 0


def fuzz(nl, make, rounds):
    """Send @rounds messages from @make(); errnos seen, and anything odd."""
    seen, odd = {}, []
    for i in range(rounds):
        typ, flags, payload = make()
        seq = nl.send(typ, flags | NLM_F_REQUEST | NLM_F_ACK, payload)
        try:
            err = answer(nl, seq)
        except socket.timeout:
            err = "timeout"
        seen[err] = seen.get(err, 0) + 1
        if err not in EXPECTED:
            odd.append((i, err, typ, flags, payload.hex()))
    return seen, odd


def names(seen):
    return ", ".join("%s %d" % (errno.errorcode.get(k, k) if k else "ok", v)
                     for k, v in sorted(seen.items(), key=str))


@case(1)
def diag_fuzz():
    with ns("a"):
        d = Diag()
        d.sock.settimeout(5)
        seen, odd = fuzz(d, diag_message, ROUNDS // 2)
    tap.msg("sock_diag: " + names(seen))
    tap.ok(not odd, "sock_diag: %d malformed requests, each answered with an "
           "error or a result, none hangs" % (ROUNDS // 2), odd[:5])


@case(1)
def truncated_headers():
    with ns("a"):
        d = Diag()
        raw = [b"\0" * 3, struct.pack("=IHHII", 8, 20, 5, 1, 0),
               struct.pack("=IHHII", 400, 20, 5, 1, 0) + b"\0" * 16]
        for data in raw:
            d.send_raw(data)	# cut below, or claiming past, the datagram
        after = d.dump()
    tap.ok(len(after) == 1 and after[0].dport == 7300,
           "sock_diag: truncated netlink headers are dropped; the socket "
           "still dumps the one connection of a")


@case(2)
def genl_fuzz():
    with ns("a"):
        g = Genl()
        g.sock.settimeout(5)
        seen, odd = fuzz(g, lambda: genl_message(g.family), ROUNDS // 2)
    tap.msg("genetlink: " + names(seen))
    tap.ok(not odd, "genetlink: %d malformed requests, each answered with an "
           "error or a result, none hangs" % (ROUNDS // 2), odd[:5])
    tap.ok(seen.get(errno.EINVAL, 0) > ROUNDS // 20 and
           seen.get(0, 0) > 0,
           "genetlink: most are refused with EINVAL, a few valid ones work",
           names(seen))


@case(2)
def afterwards():
    c.sendall(b"still there")
    s.settimeout(5)
    c.settimeout(5)
    s.sendall(s.recv(100))
    echo = c.recv(100)
    with ns("a"):
        st = Genl().stats()
        socks = Diag().dump()
    tap.ok(echo == b"still there" and len(socks) == 1,
           "afterwards: a's connection still carries data and dumps")
    tap.ok(st["InSegs"] > 0,
           "afterwards: the counters still answer, and count")
    for x in (c, s, ls):
        x.close()


tap.run([diag_fuzz, truncated_headers, genl_fuzz, afterwards])
