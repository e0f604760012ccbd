#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# harness.sh KERNEL: the VM harness's own test, run on the host. vm-run
# must pass CMD's exit status through and fail on a kernel splat: a
# module that does WARN_ON(1) on load must make it exit 125.

cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

k=${1:-6.12}
rel=$(scripts/kernels "$k") || exit 1
splat=build/$rel/selftests/modules/vtcp_splat.ko

# status_of CMD...: the exit status of vm-run running CMD.
status_of() {
	scripts/vm-run -k "$rel" --no-module -- "$@" >/tmp/harness.$$ 2>&1
	echo $?
}

ktap_header 3

s=$(status_of sh -c 'exit 3')
ktap_check "CMD's exit status comes back (3, got $s)" [ "$s" = 3 ]

s=$(status_of insmod "$splat")
ktap_check "a WARN_ON in the guest fails the run with 125 (got $s)" [ "$s" = 125 ]
ktap_check "the splat is printed" grep -q 'vm-run: dmesg:.*WARNING' /tmp/harness.$$
[ "$s" = 125 ] || sed 's/^/# /' /tmp/harness.$$ | tail -n 20
rm -f /tmp/harness.$$

ktap_finish
