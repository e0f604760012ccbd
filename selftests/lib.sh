# SPDX-License-Identifier: GPL-2.0
#
# Shared by the shell selftests: TAP output and module helpers. Tests run
# as root inside the VM (scripts/vm-run), from the selftests directory.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

ktap_n=0
ktap_fails=0

ktap_header() { echo "TAP version 13"; echo "1..$1"; }
ktap_msg() { echo "# $*"; }
ktap_pass() { ktap_n=$((ktap_n + 1)); echo "ok $ktap_n $*"; }
ktap_fail() {
	ktap_n=$((ktap_n + 1))
	ktap_fails=$((ktap_fails + 1))
	echo "not ok $ktap_n $*"
}
ktap_skip() { ktap_n=$((ktap_n + 1)); echo "ok $ktap_n # SKIP $*"; }

# ktap_check NAME CMD...: one case, passing when CMD succeeds.
ktap_check() {
	local name=$1
	shift
	if "$@"; then ktap_pass "$name"; else ktap_fail "$name"; fi
}

ktap_finish() {
	echo "# Totals: pass:$((ktap_n - ktap_fails)) fail:$ktap_fails"
	[ "$ktap_fails" -eq 0 ] && exit $KSFT_PASS
	exit $KSFT_FAIL
}

# The module file for the running kernel (vm-run exports VM_MODULE).
vtcp_module() {
	echo "${VM_MODULE:-../build/$(uname -r)/vtcp.ko}"
}

vtcp_loaded() { [ -d /sys/module/vtcp ]; }

vtcp_unload() { ! vtcp_loaded || rmmod vtcp; }

vtcp_load() { vtcp_unload && insmod "$(vtcp_module)" "$@"; }

# vtcp_stat NAME: one counter of /proc/net/vtcp_stats.
vtcp_stat() { awk -v n="$1" '$1 == n { print $2 }' /proc/net/vtcp_stats; }

# wait_for COND...: poll COND for up to 5 s.
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
