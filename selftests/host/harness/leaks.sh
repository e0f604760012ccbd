#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# For harness.sh only: a "selftest" that passes but leaves a process
# holding a vtcp socket behind it, so the module stays in use, as a leaked
# socket would keep it.
setsid python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 253)
time.sleep(3600)' </dev/null >/dev/null 2>&1 &
# The socket exists before this test ends (python starts slowly in TCG).
for _ in $(seq 200); do
	[ "$(cat /sys/module/vtcp/refcnt)" != 0 ] && break
	sleep 0.1
done
echo "ok 1 a vtcp socket outlives this test (refcnt $(cat /sys/module/vtcp/refcnt))"
