# Helpers for shell tests: source it, call ok/notok, and use $KMEMSIM.
: "${KMEMSIM:=build/test/kmemsim}"
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
ok()    { echo "ok $1"; }
notok() { echo "not ok $1: $2"; }
# check NAME CMD...: ok if CMD succeeds
check() { n=$1; shift; if "$@" >"$TMP/check.out" 2>&1; then ok "$n"; else notok "$n" "$(tail -n 5 "$TMP/check.out" | tr '\n' ' ')"; fi; }
# key FILE NAME: value of "NAME: value" in a summary
key()   { sed -n "s/^$2: //p" "$1" | head -n 1; }
