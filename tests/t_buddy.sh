#!/bin/sh
# The lecture's buddy table (shared/reference/003), typed from the slide into
# tests/data/buddy_slides.expected, must be reproduced exactly.
. tests/lib.sh
if tests/buddy_slides >"$TMP/out" 2>&1 && diff -u tests/data/buddy_slides.expected "$TMP/out" >"$TMP/diff"; then
	ok buddy_slides_table
else
	notok buddy_slides_table "$(cat "$TMP/diff" "$TMP/out" | head -20 | tr '\n' '|')"
fi
# info for the buddy back end: 34K -> one 64K block of 16 pages
[ "$($KMEMSIM info --allocator buddy --size 34K)" = "65536 1 16" ] && ok buddy_info || notok buddy_info "$($KMEMSIM info --allocator buddy --size 34K 2>&1)"
