#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The licence is stated everywhere: LICENSE is the BSD-2-Clause text with
# the project's copyright line, and every source, script, test, build and
# deployment file carries an SPDX-License-Identifier line in its first
# lines (tests/guests/published/ holds the published guest header, under
# its own licence, and is left out).
. "$(dirname "$0")/../lib/common.sh"
cd "$ROOT"
grep -q '^BSD 2-Clause License$' LICENSE || die "LICENSE is not the BSD 2-Clause text"
grep -q '^Copyright (c) .* The vmod_tinykvm authors$' LICENSE || die "LICENSE lacks the copyright line"
if [ -d .git ] || [ -f .git ]; then
	files=$(git ls-files)
else
	files=$(find . -path './build*' -prune -o -type f -print | sed 's|^\./||')
fi
missing=()
while IFS= read -r f; do
	case "$f" in
	tests/guests/published/*|fuzz/corpus/*) continue ;;
	*.c|*.h|*.cc|*.sh|*.vtc|*.vcc|*.vsc|*.lua|*.map|*.rules|*.conf|*.rst) ;;
	Makefile|.ci/run|deploy/postinst|deploy/postrm) ;;
	*) continue ;;
	esac
	[ -f "$f" ] || continue
	head -n 4 "$f" | grep -q 'SPDX-License-Identifier: BSD-2-Clause' || missing+=("$f")
done <<<"$files"
[ ${#missing[@]} -eq 0 ] || die "no SPDX-License-Identifier line in: ${missing[*]}"
echo ok
