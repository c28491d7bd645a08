#!/bin/sh
# Every numeric input at its limits (issue 11): 0, -1, 2^32-1, 2^32+16,
# 2^63, 2^64, NaN and inf (and each input's own boundaries) through every
# numeric command-line option and every number the Lua API takes. Each one
# must be served exactly (the stored value, the summary or the engine's
# state shows the very number given) or refused with a message naming the
# option or argument (exit 2): never truncated, wrapped or crashed (this
# runs on the ASan/UBSan build). The expectations are written here by
# hand (the CLI table) or computed by the script itself (the Lua table),
# not taken from the code under test.
. tests/lib.sh
K="$KMEMSIM"
VALUES="0 -1 4294967295 4294967312 9223372036854775808 18446744073709551616 nan inf"

sanitizer_clean() { ! grep -qE "runtime error|AddressSanitizer|LeakSanitizer" "$1"; }

# ---- the command line -------------------------------------------------
# refused OPT VALUE: exit 2, "kmemsim: OPT ..." naming the value as given
refused() {
	$K info --allocator slub --size 64 "$1" "$2" >"$TMP/o" 2>"$TMP/e"; rc=$?
	[ $rc = 2 ] && grep -q "^kmemsim: $1 .*(got '*$2'*" "$TMP/e" && sanitizer_clean "$TMP/e" && return 0
	echo "#   $1 $2: rc=$rc $(head -c 200 "$TMP/e" | tr '\n' ' ')"
	return 1
}

# accepted OPT VALUE: `info` takes it (a value too costly to run, e.g. 1T)
accepted() {
	$K info --allocator slub --size 64 "$1" "$2" >"$TMP/o" 2>"$TMP/e" && sanitizer_clean "$TMP/e" && return 0
	echo "#   $1 $2: refused: $(head -c 200 "$TMP/e" | tr '\n' ' ')"
	return 1
}

# stored OPT VALUE KEY WANT: a run accepts it and its row in results.db
# holds KEY=WANT (the very number, not a truncation)
cat >"$TMP/tiny.lua" <<'LUA'
local sim = require "kmemsim"
for i = 1, 3 do sim.alloc(64 * i) end
print("checks " .. sim.stats().checks)
LUA
stored() {
	rm -f "$TMP/s.db"
	$K run --allocator slub --no-progress --db "$TMP/s.db" "$1" "$2" "$TMP/tiny.lua" >"$TMP/o" 2>"$TMP/e"; rc=$?
	row=$(sqlite3 "$TMP/s.db" "select params from runs" 2>/dev/null)
	case " $row " in
	*" $3=$4 "*) [ $rc = 0 ] && sanitizer_clean "$TMP/e" && return 0 ;;
	esac
	echo "#   $1 $2: rc=$rc, want $3=$4 in '$row' $(head -c 200 "$TMP/e" | tr '\n' ' ')"
	return 1
}

# OPTION  KEY  the 8 VALUES (a = accepted and run, r = refused)  more accepted
# (IN=STORED: run and stored exactly; IN alone: accepted by `info`)  more refused
while read -r opt key expect more_ok more_bad; do
	case "$opt" in ''|\#*) continue ;; esac
	bad=0 n=0 i=0
	for v in $VALUES; do
		i=$((i + 1))
		e=$(echo "$expect" | cut -c$i)
		n=$((n + 1))
		if [ "$e" = r ]; then
			refused "$opt" "$v" || bad=$((bad + 1))
		else
			stored "$opt" "$v" "$key" "$v" || bad=$((bad + 1))
		fi
	done
	for pair in $(echo "$more_ok" | tr ',' ' '); do
		[ "$pair" = - ] && continue
		n=$((n + 1))
		case "$pair" in
		*=*) stored "$opt" "${pair%%=*}" "$key" "${pair#*=}" || bad=$((bad + 1)) ;;
		*) accepted "$opt" "$pair" || bad=$((bad + 1)) ;;
		esac
	done
	for v in $(echo "$more_bad" | tr ',' ' '); do
		[ "$v" = - ] && continue
		n=$((n + 1))
		refused "$opt" "$v" || bad=$((bad + 1))
	done
	name=$(echo "$opt" | sed 's/^--//; s/-/_/g')
	[ $bad = 0 ] && ok "cli_$name ($n values)" || notok "cli_$name" "$bad of $n values mishandled"
done <<'TABLE'
# option            key              VALUES    accepted                                                   refused
--cpus              cpus             rrrrrrrr  1=1,256=256,0x10=16,010=10                                 257,4294967297,1.5,1e2,+2,0x
--seed              seed             araaarrr  18446744073709551615=18446744073709551615,0x10=16,7=7       18446744073709551616,-0,99999999999999999999
--sample-every      sample_every     araaarrr  18446744073709551615=18446744073709551615                    18446744073709551616
--sample-ns         sample_ns        araaarrr  18446744073709551615=18446744073709551615                    18446744073709551616
--snapshot-every    snapshot_every   araaarrr  18446744073709551615=18446744073709551615                    18446744073709551616
--mem               mem              rrrrrrrr  16M=16777216,0x1000000=16777216,1536M=1610612736,64MiB=67108864,1T  16777215,16781312x,2T,1025G,16777216T
--max-order         max_order        rrrrrrrr  1=1,19=19                                                  20,256
--slub-min-objects  slub_min_objects arrrrrrr  32767=32767                                                32768
--slub-max-order    slub_max_order   arrrrrrr  10=10                                                      11
--zone-map          zone_map         rrrrrrrr  4K=4096,512M=536870912                                     5000,513M,4294967296
--nta-chunk         nta_chunk        rrrrrrrr  8=8,4096=4096,64=64                                        4,48,8192,256K
--pt-levels         pt_levels        rrrrrrrr  4=4,5=5                                                    3,6
--pt-reserve        pt_reserve       arrrrrrr  1000=1000,131072                                           131073,268435457
TABLE
# (VALUES in order: 0, -1, 2^32-1, 2^32+16, 2^63, 2^64, nan, inf)

# the issue's own example, word for word
$K run --cpus 4294967297 --no-db "$TMP/tiny.lua" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 2 ] && [ "$(head -n 1 "$TMP/e")" = "kmemsim: --cpus must be 1..256 (got 4294967297)" ] &&
	ok cli_cpus_message || notok cli_cpus_message "rc=$rc $(head -n 1 "$TMP/e")"

# --check-every is 64 bits: 2^32 + 1 is "every 4294967297 events" (no check
# in a short run), not 1 (check every event) and not 2^32 -> 0 (off).
bad=""
for pair in 1=3 2=1 4294967297=0 4294967296=0 18446744073709551615=0 0=0; do
	$K run --allocator slub --no-db --no-progress --check-every "${pair%%=*}" "$TMP/tiny.lua" >"$TMP/o" 2>&1 ||
		bad="$bad ${pair%%=*}:failed"
	grep -q "^checks ${pair#*=}\$" "$TMP/o" || bad="$bad ${pair%%=*}:$(grep '^checks' "$TMP/o")"
done
for v in -1 18446744073709551616 nan inf; do refused --check-every "$v" >/dev/null || bad="$bad $v:not-refused"; done
[ -z "$bad" ] && ok cli_check_every || notok cli_check_every "$bad"

# --reserve START+SIZE: both sizes, the end within --mem, no overflow
bad=""
for r in 0+1M=0+1048576 511M+1M=535822336+1048576 0x100000+4K=1048576+4096; do
	stored --reserve "${r%%=*}" reserve "${r#*=}" || bad="$bad ${r%%=*}"
done
for v in $VALUES; do
	for r in "0+$v" "$v+1M"; do
		[ "$r" = 0+1M ] && continue
		$K info --allocator slub --size 64 --reserve "$r" >/dev/null 2>"$TMP/e"; rc=$?
		{ [ $rc = 2 ] && grep -q "^kmemsim: --reserve" "$TMP/e" && sanitizer_clean "$TMP/e"; } || bad="$bad $r:rc=$rc"
	done
done
for r in 0+0 511M+2M 512M+4K 18446744073709551615+1 1+18446744073709551615 1099511627776+1099511627776 0-1M 0+; do
	$K info --allocator slub --size 64 --reserve "$r" >/dev/null 2>"$TMP/e"; rc=$?
	{ [ $rc = 2 ] && grep -q "^kmemsim: --reserve" "$TMP/e" && sanitizer_clean "$TMP/e"; } || bad="$bad $r:rc=$rc"
done
$K info --allocator slub --size 64 --reserve 0+600M --mem 1G >/dev/null 2>&1 || bad="$bad mem-after-reserve"
[ -z "$bad" ] && ok cli_reserve || notok cli_reserve "$bad"

# info --size: 1..2^32-1 is a request; a back end without geometry for it
# says so with the exact size (exit 1); beyond 32 bits is refused (exit 2)
bad=""
for v in $VALUES; do
	$K info --allocator buddy --size "$v" >"$TMP/o" 2>"$TMP/e"; rc=$?
	if [ "$v" = 4294967295 ]; then
		{ [ $rc = 1 ] && grep -q "buddy has no geometry for size 4294967295" "$TMP/e"; } || bad="$bad $v:rc=$rc"
	else
		{ [ $rc = 2 ] && grep -q "^kmemsim: --size .*(got '*$v'*)" "$TMP/e"; } || bad="$bad $v:rc=$rc"
	fi
	sanitizer_clean "$TMP/e" || bad="$bad $v:sanitizer"
done
[ "$($K info --allocator buddy --size 4M)" = "4194304 1 1024" ] || bad="$bad 4M"
[ "$($K info --allocator nta --size 16K)" = "16384 1 4" ] || bad="$bad nta-16K"
for a in zone slab slub slob nta; do
	$K info --allocator $a --size 4294967295 >/dev/null 2>"$TMP/e"; rc=$?
	{ [ $rc = 1 ] || [ $rc = 0 ]; } && sanitizer_clean "$TMP/e" || bad="$bad $a:rc=$rc"
done
[ -z "$bad" ] && ok cli_info_size || notok cli_info_size "$bad"

# --db "" would open a temporary database and keep nothing
$K run --db "" "$TMP/tiny.lua" >/dev/null 2>"$TMP/e"; rc=$?
[ $rc = 2 ] && grep -q "^kmemsim: --db needs a file name" "$TMP/e" && ok cli_db_empty || notok cli_db_empty "rc=$rc"

# ---- the Lua API ------------------------------------------------------
# One script walks every argument through the values; the expectation is
# the script's own predicate (an integer in the argument's range), and
# each refusal must be an error at the calling line naming the argument.
cat >"$TMP/table.lua" <<'LUA'
local sim = require "kmemsim"
local SCRIPT = arg_script
local values = { 0, -1, 2^32 - 1, 2^32 + 16, 2^63, 2^64, 0/0, 1/0, -1/0, 0.5 }
local function int_in(v, lo, hi) return v == v and v ~= 1/0 and v ~= -1/0 and v % 1 == 0 and v >= lo and v <= hi end
local cases, failed = 0, 0
-- f is a one-line function making the call; alt: a message that a valid
-- value may still get (a back end refusing a cache that big).
local function expect(name, v, valid, f, check, prefix, alt)
	local line = debug.getinfo(f, "S").linedefined
	local ok, err = pcall(f)
	local why
	if valid and not ok and alt and tostring(err):find(alt, 1, true) then
		ok, check = true, nil
	end
	if valid and not ok then
		why = "refused: " .. tostring(err)
	elseif valid and check and not check() then
		why = "served inexactly"
	elseif not valid and ok then
		why = "accepted"
	elseif not valid and not tostring(err):find(SCRIPT .. ":" .. line .. ": " .. prefix, 1, true) then
		why = "message '" .. tostring(err) .. "'"
	end
	cases = cases + 1
	if why then
		failed = failed + 1
		print(string.format("#   %s(%s): %s", name, tostring(v), why))
	end
end
local function section(name, extra, lo, hi, fn)
	local before = failed
	local vs = {}
	for _, v in ipairs(values) do vs[#vs + 1] = v end
	for _, v in ipairs(extra) do vs[#vs + 1] = v end
	for _, v in ipairs(vs) do fn(v, int_in(v, lo, hi)) end
	print((failed == before and "ok " or "not ok ") .. "lua_" .. name)
end
local st = sim.stats

section("alloc_size", { 1, 4096, 2^32 - 2 }, 1, 2^32 - 1, function(v, valid)
	local b, h = st(), nil
	expect("alloc size", v, valid, function() h = sim.alloc(v) end, function()
		local a = st()
		if h then   -- served: exactly v more live bytes
			local exact = a.live_bytes == b.live_bytes + v
			sim.free(h)
			return exact
		end
		return a.failed_allocs == b.failed_allocs + 1 and a.live_bytes == b.live_bytes
	end, "alloc: size must be an integer 1..4294967295 bytes (got ")
end)
section("alloc_cpu", { 1, 2, 1.5 }, 0, sim.cpus() - 1, function(v, valid)
	local h
	expect("alloc cpu", v, valid, function() h = sim.alloc(64, { cpu = v }) end, function()
		local exact = sim.owner_cpu(h) == v
		sim.free(h, v)
		return exact
	end, "alloc: cpu must be an integer 0..1 (got ")
end)
local gfp_all = 0
for k, g in pairs(sim) do if type(k) == "string" and k:match("^GFP_") then gfp_all = gfp_all + g end end
local gfps = { gfp_all, gfp_all + 1 }
for k, g in pairs(sim) do if type(k) == "string" and k:match("^GFP_") then gfps[#gfps + 1] = g end end
local function gfp_valid(v)   -- a set of the sim.GFP_* bits
	if not int_in(v, 0, gfp_all) then return false end
	for b = 0, 52 do local bit = 2^b; if v % (2 * bit) >= bit and gfp_all % (2 * bit) < bit then return false end end
	return true
end
section("alloc_gfp", gfps, 0, 0, function(v)
	local h
	expect("alloc gfp", v, gfp_valid(v), function() h = sim.alloc(64, { gfp = v }) end,
		function() local ok = h ~= nil; if h then sim.free(h) end; return ok end, "alloc: gfp must be ")
end)
local c64 = sim.cache("t64", 64)
section("alloc_cache", { c64, c64 + 1 }, 0, c64, function(v, valid)
	local h
	expect("alloc cache", v, valid, function() h = sim.alloc(64, { cache = v }) end,
		function() local ok = h ~= nil; if h then sim.free(h) end; return ok end, "alloc: cache ")
end)
section("alloc_lifetime", { 1, 1000, 2^53 }, 0, 2^63, function(v, valid)
	local h
	expect("alloc lifetime", v, valid, function() h = sim.alloc(64, { lifetime = v }) end, function()
		if v == 0 or v > 2^32 then sim.free(h); return true end   -- freed early: the timer does nothing
		local t0, live0 = sim.now(), st().live_objects
		sim.advance(v - 1)
		local still = sim.owner_cpu(h) ~= nil
		sim.advance(1)
		return still and sim.owner_cpu(h) == nil and st().live_objects == live0 - 1 and sim.now() == t0 + v
	end, "alloc: lifetime must be an integer 0..2^63 ns (got ")
end)
section("free", { 0.5 }, 0, 0, function(v, valid)
	local b = st()
	expect("free", v, valid, function() sim.free(v) end,
		function() return st().free_null == b.free_null + 1 end,
		"free: handle must be nil or a handle sim.alloc returned (got ")
end)
do  -- a double free, and a handle whose lifetime ended
	local before = failed
	local h = sim.alloc(100)
	sim.free(h)
	expect("double free", h, false, function() sim.free(h) end, nil, "free: handle " .. h .. " is not live")
	local g = sim.alloc(100, { lifetime = 5 })
	sim.advance(5)
	expect("free after lifetime", g, false, function() sim.free(g) end, nil, "free: handle " .. g .. " is not live")
	print((failed == before and "ok " or "not ok ") .. "lua_double_free")
end
section("cpu", { 1, 2 }, 0, sim.cpus() - 1, function(v, valid)
	expect("sim.cpu", v, valid, function() sim.cpu(v) end, function()
		local h = sim.alloc(64)
		local exact = sim.owner_cpu(h) == v
		sim.free(h)
		sim.cpu(0)
		return exact
	end, "sim.cpu: cpu must be an integer 0..1 (got ")
end)
local n = 0
section("cache_size", { 64, 4096 }, 1, 2^32 - 1, function(v, valid)
	n = n + 1
	local name, id = "size" .. n
	expect("cache size", v, valid, function() id = sim.cache(name, v) end, function()
		local h = sim.alloc(v, { cache = id })   -- its own size fits: served or a failure
		if h then sim.free(h) end
		return v == 2^32 - 1 or sim.alloc(v + 1, { cache = id }) == nil   -- one more: cache_size
	end, "cache: size must be an integer 1..4294967295 bytes (got ",
	"sim.cache: back end " .. sim.allocator() .. " refused cache " .. name)
end)
section("cache_align", { 1, 8, 4096, 8192, 3, 24 }, 0, 4096, function(v, valid)
	n = n + 1
	local pow2 = valid and (v == 0 or 2^math.floor(math.log(v) / math.log(2) + 0.5) == v)
	expect("cache align", v, pow2, function() sim.cache("align" .. n, 64, v) end, nil,
		"cache: align must be 0 (8 bytes) or a power of two up to 4096 (got ")
end)
do
	local before = failed
	sim.cache("same", 100)
	expect("cache same size", 100, true, function() assert(sim.cache("same", 100) == sim.cache("same", 100, 8)) end, nil, "")
	expect("cache other size", 101, false, function() sim.cache("same", 101) end, nil,
		"cache: same exists with size 100 align 8 (asked size 101 align 8)")
	expect("cache other align", 16, false, function() sim.cache("same", 100, 16) end, nil, "cache: same exists")
	print((failed == before and "ok " or "not ok ") .. "lua_cache_same_name")
end
section("after", { 1, 1000 }, 0, 2^63, function(v, valid)
	local fired
	expect("after", v, valid, function() sim.after(v, function() fired = sim.now() end) end, function()
		if v > 2^32 then return true end   -- not reached in this run (runs at the end)
		local t = sim.now()
		sim.advance(v)
		return fired == t + v
	end, "after: ns must be an integer 0..2^63 ns (got ")
end)
sim.drain()
section("advance", { 1, 2^32 - 2 }, 0, 2^63, function(v, valid)
	if v == 2^63 then valid = valid and sim.now() + v < 2^64 end
	local t = sim.now()
	expect("advance", v, valid, function() sim.advance(v) end,   -- exact while doubles are
		function() return t + v >= 2^53 or sim.now() == t + v end, "advance: ")
end)
-- now past 2^63: another 2^63 would pass 2^64 - 1
expect("advance past the clock", 2^63, false, function() sim.advance(2^63) end, nil,
	"advance: ns 9223372036854775808 ns from now")
expect("lifetime past the clock", 2^63, false, function() sim.alloc(8, { lifetime = 2^63 }) end, nil,
	"alloc: lifetime 9223372036854775808 ns from now")
print("lua_table_cases " .. cases .. " " .. failed)
LUA
for a in buddy zone slab slub slob nta; do
	sed "s|arg_script|\"$TMP/t-$a.lua\"|" "$TMP/table.lua" >"$TMP/t-$a.lua"
	$K run --allocator $a --no-db --no-progress --check-every 1 "$TMP/t-$a.lua" >"$TMP/l-$a.out" 2>"$TMP/l-$a.err"; rc=$?
	cnt=$(sed -n 's/^lua_table_cases //p' "$TMP/l-$a.out")
	if [ $a = slub ]; then
		cat "$TMP/l-$a.out" | grep -E "^(ok|not ok|#) " | sed 's/^ok /ok slub_/; s/^not ok /not ok slub_/'
	fi
	if [ $rc = 0 ] && [ "${cnt#* }" = 0 ] && [ "${cnt% *}" -ge 150 ] && sanitizer_clean "$TMP/l-$a.err"; then
		ok "lua_table_$a (${cnt% *} cases)"
	else
		notok "lua_table_$a" "rc=$rc cases=$cnt $(grep -E '^(#|not ok)' "$TMP/l-$a.out" | head -5 | tr '\n' ' ') $(head -c 300 "$TMP/l-$a.err")"
	fi
done

# Uncaught, each refusal ends the run with exit 2 and the script's line.
bad=""
while IFS='|' read -r call msg; do
	[ -n "$call" ] || continue
	printf 'local sim = require "kmemsim"\nlocal c = sim.cache("c", 64)\n%s\nprint("not reached")\n' "$call" >"$TMP/u.lua"
	$K run --no-db --no-progress "$TMP/u.lua" >"$TMP/o" 2>"$TMP/e"; rc=$?
	{ [ $rc = 2 ] && grep -qF "u.lua:3: $msg" "$TMP/e" && ! grep -q "not reached" "$TMP/o" && sanitizer_clean "$TMP/e"; } ||
		bad="$bad [$call: rc=$rc $(head -c 160 "$TMP/e")]"
done <<'CALLS'
sim.alloc(2^32 + 16)|alloc: size must be an integer 1..4294967295 bytes (got 4294967312)
sim.alloc(-1)|alloc: size must be an integer 1..4294967295 bytes (got -1)
sim.alloc(64, {cpu = -1})|alloc: cpu must be an integer 0..1 (got -1)
sim.alloc(64, {cpu = 7})|alloc: cpu must be an integer 0..1 (got 7)
sim.alloc(64, {gfp = 2^32 - 1})|alloc: gfp must be an integer made of sim.GFP_* bits
sim.alloc(64, {cache = c + 1})|alloc: cache 2 was not made by sim.cache()
sim.alloc(64, {lifetime = 0/0})|alloc: lifetime must be an integer 0..2^63 ns (got nan)
sim.advance(0/0)|advance: ns must be an integer 0..2^63 ns (got nan)
sim.advance(2^64)|advance: ns must be an integer 0..2^63 ns (got 18446744073709551616)
sim.after(1/0, print)|after: ns must be an integer 0..2^63 ns (got inf)
sim.cache("c", 65)|cache: c exists with size 64 align 8 (asked size 65 align 8)
sim.cache("d", 2^63)|cache: size must be an integer 1..4294967295 bytes (got 9223372036854775808)
sim.cache("d", 64, 2^32 - 1)|cache: align must be 0 (8 bytes) or a power of two up to 4096 (got 4294967295)
sim.free(2^32 - 1)|free: handle must be nil or a handle sim.alloc returned (got 4294967295)
sim.free(sim.alloc(8), 2)|free: cpu must be an integer 0..1 (got 2)
local h = sim.alloc(8); sim.free(h); sim.free(h)|free: handle 1 is not live
sim.cpu(2^32 - 1)|sim.cpu: cpu must be an integer 0..1 (got 4294967295)
sim.rand.int(1, 2^60)|rand.int: needs an integer in [lo, hi]
sim.buddy_model(2^32 + 16, 3)|sim.buddy_model: nframes an integer 1..2^24
CALLS
[ -z "$bad" ] && ok lua_errors_at_script_line || notok lua_errors_at_script_line "$bad"

# sim.advance(2^60) moves the 64-bit clock by exactly 2^60
printf 'local sim = require "kmemsim"\nsim.advance(2^60)\nprint(string.format("now %%.0f", sim.now()))\n' >"$TMP/adv.lua"
$K run --no-db --no-progress "$TMP/adv.lua" >"$TMP/o" 2>&1
grep -q "^now 1152921504606846976$" "$TMP/o" && [ "$(key "$TMP/o" sim_time_ns)" = 1152921504606846976 ] &&
	ok lua_advance_2p60 || notok lua_advance_2p60 "$(grep -E 'now|sim_time' "$TMP/o" | tr '\n' ' ')"

# 2^32 - 1 bytes on every back end, every event checked: served exactly
# (zone's kmem_alloc and SLOB's large path, from 2^20 mapped order-0
# frames) or a failure with its reason (no block that large elsewhere).
printf 'local sim = require "kmemsim"\nlocal h = sim.alloc(2^32 - 1)\nif h then sim.free(h) end\n' >"$TMP/big.lua"
bad=""
for a in buddy zone slab slub slob nta; do
	for b in direct mapped; do
		$K run --allocator $a --backing $b --mem 8G --no-db --no-progress --check-every 1 "$TMP/big.lua" >"$TMP/o" 2>"$TMP/e"; rc=$?
		peak=$(key "$TMP/o" peak_live_bytes) fails=$(key "$TMP/o" failed_allocs) big=$(key "$TMP/o" failed_too_big)
		if [ $b = mapped ] && { [ $a = zone ] || [ $a = slob ]; }; then
			[ $rc = 0 ] && [ "$peak" = 4294967295 ] && [ "$fails" = 0 ] &&
				[ "$(key "$TMP/o" peak_alloc_bytes)" = 4294967296 ] || bad="$bad $a/$b:rc=$rc,peak=$peak,failed=$fails"
		else
			[ $rc = 0 ] && [ "$peak" = 0 ] && [ "$fails" = 1 ] && [ "$big" = 1 ] || bad="$bad $a/$b:rc=$rc,peak=$peak,too_big=$big"
		fi
		sanitizer_clean "$TMP/e" || bad="$bad $a/$b:sanitizer"
	done
done
[ -z "$bad" ] && ok size_2p32_every_backend || notok size_2p32_every_backend "$bad"

# An object larger than its named cache: a failure with its own reason on
# every back end (never served with fewer bytes than asked), A >= R checked
# after every event.
printf 'local sim = require "kmemsim"\nlocal c = sim.cache("obj", 100)\nlocal h = sim.alloc(100, {cache = c})\nassert(h)\nassert(sim.alloc(101, {cache = c}) == nil)\nassert(sim.alloc(5000, {cache = c}) == nil)\nsim.free(h)\n' >"$TMP/over.lua"
bad=""
for a in buddy zone slab slub slob nta; do
	$K run --allocator $a --no-db --no-progress --check-every 1 "$TMP/over.lua" >"$TMP/o" 2>"$TMP/e"; rc=$?
	[ $rc = 0 ] && [ "$(key "$TMP/o" failed_cache_size)" = 2 ] && [ "$(key "$TMP/o" failed_allocs)" = 2 ] &&
		[ "$(key "$TMP/o" peak_live_bytes)" = 100 ] && sanitizer_clean "$TMP/e" || bad="$bad $a:rc=$rc"
done
[ -z "$bad" ] && ok larger_than_cache_every_backend || notok larger_than_cache_every_backend "$bad"
