#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static.sh: what needs no VM. The generated state machine documents match
# the table, the man pages render without warnings, checkpatch is clean,
# struct vtcp_info has one layout for 32- and 64-bit programs.

# shellcheck disable=SC2317 # the cases run through ktap_run
cd "$(dirname "$0")/../.." || exit 1
. selftests/lib.sh

# "field offset" lines of struct vtcp_info, then its size, as gcc $1 (-m32,
# -m64) lays it out; compiled only (-S), so no 32-bit libc is needed.
info_layout() {
	local fields f

	fields=$(sed -n '/^struct vtcp_info {/,/^};/s/^\t[^/]*[ \t]\([a-z_0-9]*\)\(\[[0-9]*\]\)\{0,1\};.*/\1/p' \
		include/uapi/linux/vtcp.h)
	{
		printf '#include <stddef.h>\n#include <linux/vtcp.h>\n'
		printf 'const unsigned int layout[] = {\n'
		for f in $fields; do
			printf '\toffsetof(struct vtcp_info, %s),\n' "$f"
		done
		printf '\tsizeof(struct vtcp_info)\n};\n'
	} | gcc "$1" -I include/uapi -I /usr/include/x86_64-linux-gnu -S -o - -x c - |
		awk '$1 == ".long" { print $2 }' |
		paste -d ' ' <(printf '%s\n' $fields sizeof) -
}

same_info_layout() {
	local m32 m64

	m32=$(info_layout -m32) && m64=$(info_layout -m64) &&
		[ "$(wc -l <<<"$m64")" -gt 30 ] && [ "$m32" = "$m64" ] && return 0
	diff <(echo "$m32") <(echo "$m64") | sed 's/^/# /'
	return 1
}

# The documents made from the sources, and the man pages.
documents() {
	ktap_check "Documentation/fsm.rst and fsm.dot match mod/fsm.c (scripts/fsm-doc --check)" \
		scripts/fsm-doc --check
	ktap_check "Documentation/vtcp.7 renders without warnings" \
		eval '[ -z "$(groff -man -ww -z Documentation/vtcp.7 2>&1)" ]'
	ktap_check "Documentation/vtcp.8 renders without warnings" \
		eval '[ -z "$(groff -man -ww -z Documentation/vtcp.8 2>&1)" ]'
}
ktap_case documents 3

checkpatch() {
	ktap_check "checkpatch --strict is clean (scripts/checkpatch)" \
		eval 'scripts/checkpatch >/tmp/checkpatch.$$ 2>&1 || { sed "s/^/# /" /tmp/checkpatch.$$; false; }'
	rm -f /tmp/checkpatch.$$
}
ktap_case checkpatch 1

info_layouts() {
	ktap_check "struct vtcp_info: the same offsets and size for -m32 and -m64 (no hole)" \
		same_info_layout
}
ktap_case info_layouts 1

ktap_run documents checkpatch info_layouts
