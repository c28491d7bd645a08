#!/bin/sh
# Run every test: each program in build/test/t_* and each tests/t_*.sh.
# A test prints "ok NAME" / "not ok NAME" per case; a program that exits
# non-zero without printing "not ok" (a crash, a sanitizer report) counts
# as one failed case. ./results.db (and -wal, -shm) must be as it was
# after all of them (case results_db_untouched). Last line: "N passed, N failed".
cd "$(dirname "$0")/.." || exit 2
: "${KMEMSIM:=build/test/kmemsim}"
export KMEMSIM
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
pass=0 fail=0
only="$1"
# ./results.db is the user's: no test may write it (tests use --no-db or a
# --db under $TMP). Its state before and after the tests must be the same.
db_state() {
	for f in results.db results.db-wal results.db-shm; do
		if [ -e "$f" ]; then stat -c '%n %s %y' "$f"; else echo "$f absent"; fi
	done
}
db_before=$(db_state)
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
db_after=$(db_state)
if [ "$db_before" = "$db_after" ]; then
	pass=$((pass + 1))
	echo "PASS results_db_untouched"
else
	fail=$((fail + 1))
	echo "FAIL results_db_untouched"
	echo "    not ok results_db_untouched: ./results.db changed during the tests:" \
		"$(echo "$db_before" | tr '\n' ' ')-> $(echo "$db_after" | tr '\n' ' ')"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
