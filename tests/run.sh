#!/bin/sh
# Run every test: each program in build/test/t_* and each tests/t_*.sh.
# A test prints "ok NAME" / "not ok NAME" per case; a program that exits
# non-zero without printing "not ok" (a crash, a sanitizer report) counts
# as one failed case. Last line: "N passed, N failed".
cd "$(dirname "$0")/.." || exit 2
: "${KMEMSIM:=build/test/kmemsim}"
export KMEMSIM
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0
only="$1"
for t in build/test/t_* tests/t_*.sh; do
	[ -e "$t" ] || continue
	case "$t" in *.d|*.o) continue;; esac
	name=$(basename "$t")
	[ -n "$only" ] && [ "${name#$only}" = "$name" ] && continue
	start=$(date +%s)
	if [ "${t%.sh}" != "$t" ]; then sh "$t" >"$out/log" 2>&1; else "$t" >"$out/log" 2>&1; fi
	rc=$?
	p=$(grep -c '^ok ' "$out/log"); f=$(grep -c '^not ok ' "$out/log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok $name: exit status $rc" >>"$out/log"; fi
	pass=$((pass + p)); fail=$((fail + f))
	secs=$(( $(date +%s) - start ))
	if [ "$f" -gt 0 ]; then
		echo "FAIL $name ($p passed, $f failed, ${secs}s)"; sed 's/^/    /' "$out/log" | tail -n 40
	else
		echo "PASS $name ($p cases, ${secs}s)"
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
