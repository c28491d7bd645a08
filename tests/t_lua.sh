#!/bin/sh
# Lua workloads: the FFI API's semantics with known answers, parameters and
# describe, errors from the script's point of view with the run kept and
# marked failed, and determinism by seed.
. tests/lib.sh
K="$KMEMSIM"
RUN="$K run --allocator buddy --mem 64M --no-progress"

# --- counts: 100 allocs, 40 frees, one kfree(NULL); a number that is no
# handle and a second free of a handle are errors, not events (free_unknown
# stays 0: a script cannot hold an unknown key)
cat >"$TMP/counts.lua" <<'LUA'
local sim = require "kmemsim"
local h = {}
for i = 1, 100 do h[i] = sim.alloc(100 + i) end
for i = 1, 40 do sim.free(h[i]) end
sim.free(nil)
assert(not pcall(sim.free, 123456789), "no such handle")
assert(not pcall(sim.free, h[1]), "double free")
local st = sim.stats()
print("lua_live", st.live_objects, st.live_bytes, st.alloc_bytes)
LUA
$RUN --no-db "$TMP/counts.lua" >"$TMP/counts.out" 2>&1
# live bytes = sum(141..200) = 10230; buddy gives each object one 4 KiB page
if [ "$(key "$TMP/counts.out" allocs)" = 100 ] && [ "$(key "$TMP/counts.out" frees)" = 40 ] &&
   [ "$(key "$TMP/counts.out" free_null)" = 1 ] && [ "$(key "$TMP/counts.out" free_unknown)" = 0 ] &&
   [ "$(key "$TMP/counts.out" final_live_objects)" = 60 ] && [ "$(key "$TMP/counts.out" events)" = 141 ] &&
   grep -q "^lua_live	60	10230	245760$" "$TMP/counts.out"; then
	ok lua_counts
else
	notok lua_counts "$(head -c 400 "$TMP/counts.out" | tr '\n' ' ')"
fi

# --- lifetimes: a free scheduled at +1000 ns happens at exactly 1000 ns;
# sim.after callbacks interleave with them in time order.
cat >"$TMP/life.lua" <<'LUA'
local sim = require "kmemsim"
local out = {}
local function live() return sim.stats().live_objects end
sim.alloc(64, {lifetime = 1000})
sim.alloc(64, {lifetime = 3000})
sim.after(2000, function() out[#out + 1] = "cb@" .. sim.now() .. ":" .. live() end)
sim.advance(999); out[#out + 1] = sim.now() .. ":" .. live()
sim.advance(1);   out[#out + 1] = sim.now() .. ":" .. live()
sim.advance(5000); out[#out + 1] = sim.now() .. ":" .. live()
sim.after(100, function() out[#out + 1] = "end@" .. sim.now() end)
print("lua_life " .. table.concat(out, " "))
LUA
$RUN --no-db "$TMP/life.lua" >"$TMP/life.out" 2>&1
if grep -q "^lua_life 999:2 1000:1 cb@2000:1 6000:0$" "$TMP/life.out" && [ "$(key "$TMP/life.out" sim_time_ns)" = 6100 ]; then
	ok lua_lifetimes
else
	notok lua_lifetimes "$(grep -E 'lua_life|sim_time|kmemsim' "$TMP/life.out" | tr '\n' ' ')"
fi

# --- caches, cpus, owner, bad arguments are errors at the script's line
cat >"$TMP/cache.lua" <<'LUA'
local sim = require "kmemsim"
local c = sim.cache("thing", 200)
assert(c >= 1 and sim.cache("thing", 200) == c, "same name, same id")
sim.cpu(1)
local h = sim.alloc(200, {cache = c})
assert(sim.owner_cpu(h) == 1, "owner cpu")
local h2 = sim.alloc(200, {cache = c, cpu = 0})
assert(sim.owner_cpu(h2) == 0, "explicit cpu")
sim.free(h2)
assert(sim.owner_cpu(h2) == nil, "freed")
print("lua_cache_ok")
sim.alloc(10, {cache = c + 5})
LUA
$RUN --no-db "$TMP/cache.lua" >"$TMP/cache.out" 2>"$TMP/cache.err"; rc=$?
if [ $rc = 2 ] && grep -q lua_cache_ok "$TMP/cache.out" &&
   grep -q "cache.lua:12: alloc: cache [0-9]* was not made by sim.cache()" "$TMP/cache.err"; then
	ok lua_cache_cpu_bad_argument
else
	notok lua_cache_cpu_bad_argument "rc=$rc $(cat "$TMP/cache.err" | tr '\n' ' ')"
fi

# --- parameters: defaults, --set (with suffix), describe, unknown key
cat >"$TMP/par.lua" <<'LUA'
local sim = require "kmemsim"
local P = sim.declare("parameter test", {
	n = {7, "objects"},
	size = {64, "bytes each"},
	tag = {"x", "a string"},
})
for i = 1, P.n do sim.alloc(P.size) end
print("lua_par", P.n, P.size, P.tag, sim.params.n)
LUA
$RUN --no-db "$TMP/par.lua" >"$TMP/p1.out" 2>&1
$RUN --no-db "$TMP/par.lua" --set n=3 --set size=8K --set tag=hello >"$TMP/p2.out" 2>&1
if grep -q "^lua_par	7	64	x	7$" "$TMP/p1.out" && grep -q "^lua_par	3	8192	hello	3$" "$TMP/p2.out" &&
   [ "$(key "$TMP/p2.out" allocs)" = 3 ] && [ "$(key "$TMP/p2.out" final_live_bytes)" = 24576 ]; then
	ok lua_set
else
	notok lua_set "$(cat "$TMP/p1.out" "$TMP/p2.out" | head -5 | tr '\n' ' ')"
fi
$K describe "$TMP/par.lua" >"$TMP/d.out" 2>&1; rc=$?
if [ $rc = 0 ] && grep -q "par.lua: parameter test" "$TMP/d.out" &&
   grep -Eq "^  n += 7 +objects$" "$TMP/d.out" && grep -Eq "^  size += 64 +bytes each$" "$TMP/d.out" &&
   grep -Eq "^  tag += x +a string$" "$TMP/d.out" && ! grep -q lua_par "$TMP/d.out"; then
	ok lua_describe
else
	notok lua_describe "rc=$rc $(tr '\n' ' ' <"$TMP/d.out")"
fi
$RUN --no-db "$TMP/par.lua" --set bogus=1 >/dev/null 2>"$TMP/u.err"; rc=$?
if [ $rc = 2 ] && grep -q "par.lua:2: unknown parameter 'bogus' (--set); valid: n, size, tag" "$TMP/u.err"; then
	ok lua_set_unknown_key
else
	notok lua_set_unknown_key "rc=$rc $(tr '\n' ' ' <"$TMP/u.err")"
fi
$RUN --no-db "$TMP/par.lua" --set n=lots >/dev/null 2>"$TMP/v.err"; rc=$?
if [ $rc = 2 ] && grep -q "n needs a number" "$TMP/v.err"; then ok lua_set_bad_value; else notok lua_set_bad_value "rc=$rc $(tr '\n' ' ' <"$TMP/v.err")"; fi
# every shipped workload describes itself without running
bad=""
for w in workloads/*.lua; do
	$K describe "$w" >"$TMP/dw.out" 2>&1 && grep -q "^parameters" "$TMP/dw.out" || bad="$bad $w"
done
[ -z "$bad" ] && ok lua_describe_workloads || notok lua_describe_workloads "$bad"

# --- a runtime error: exit 2, script:line, run row failed with the message,
# samples recorded before the error kept
cat >"$TMP/boom.lua" <<'LUA'
local sim = require "kmemsim"
for i = 1, 500 do sim.alloc(64) end
sim.record("before_error", 42.5)
local t = nil
print(t.field)
LUA
$RUN --db "$TMP/boom.db" --sample-every 100 "$TMP/boom.lua" >/dev/null 2>"$TMP/boom.err"; rc=$?
row=$(sqlite3 "$TMP/boom.db" "select status || '|' || message from runs")
ns=$(sqlite3 "$TMP/boom.db" "select count(*) from samples where events >= 100")
rec=$(sqlite3 "$TMP/boom.db" "select value from run_stats where key = 'script_before_error'")
if [ $rc = 2 ] && grep -q "boom.lua:5: attempt to index local 't' (a nil value)" "$TMP/boom.err" &&
   [ "$row" = "failed|$TMP/boom.lua:5: attempt to index local 't' (a nil value)" ] && [ "$ns" -ge 5 ] && [ "$rec" = 42.5 ]; then
	ok lua_runtime_error
else
	notok lua_runtime_error "rc=$rc row=$row samples=$ns record=$rec $(tr '\n' ' ' <"$TMP/boom.err")"
fi
# a syntax error, and an FFI conversion error raised inside the library
printf 'local sim = require "kmemsim"\nlocal x = = 1\n' >"$TMP/syn.lua"
$RUN --no-db "$TMP/syn.lua" >/dev/null 2>"$TMP/syn.err"; rc=$?
[ $rc = 2 ] && grep -q "syn.lua:2: unexpected symbol near '='" "$TMP/syn.err" && ok lua_syntax_error || notok lua_syntax_error "rc=$rc $(tr '\n' ' ' <"$TMP/syn.err")"
printf 'local sim = require "kmemsim"\n\nsim.alloc("big")\n' >"$TMP/conv.lua"
$RUN --no-db "$TMP/conv.lua" >/dev/null 2>"$TMP/conv.err"; rc=$?
[ $rc = 2 ] && grep -q "conv.lua:3: bad argument #1" "$TMP/conv.err" && ! grep -q "kmemsim.lua:" "$TMP/conv.err" &&
	ok lua_ffi_error_at_script_line || notok lua_ffi_error_at_script_line "rc=$rc $(tr '\n' ' ' <"$TMP/conv.err")"

# --- randomness: math.random is the engine's; math.randomseed refuses;
# empirical weights 1:3 give a quarter / three quarters (10^5 draws, a
# binomial sd of 137, tolerance 5 sd).
cat >"$TMP/rand.lua" <<'LUA'
local sim = require "kmemsim"
local d = sim.rand.empirical { {10, 1}, {20, 3} }
local c = { [10] = 0, [20] = 0 }
for i = 1, 100000 do local v = d(); c[v] = c[v] + 1 end
local r = {}
for i = 1, 5 do r[i] = math.random(1000) end
local u, e = 0, 0
for i = 1, 100000 do u = u + sim.rand.uniform(2, 4); e = e + sim.rand.exponential(50) end
print("lua_rand", c[10], c[20], table.concat(r, ","), string.format("%.2f %.1f", u / 1e5, e / 1e5))
print("lua_seed_refused", pcall(math.randomseed, 5) == false)
-- means: lognormal exp(mu + sigma^2/2) = 1.1331, pareto xm*alpha/(alpha-1) = 1.5
local ln, pa = 0, 0
for i = 1, 200000 do ln = ln + sim.rand.lognormal(0, 0.5); pa = pa + sim.rand.pareto(1, 3) end
local d2 = sim.rand.empirical { values = {7, 8, 9}, weights = {0, 1, 0} }
local only8 = true
for i = 1, 1000 do if d2() ~= 8 then only8 = false end end
print("lua_moments", math.abs(ln / 2e5 - 1.1331) < 0.01, math.abs(pa / 2e5 - 1.5) < 0.02, only8)
print("lua_exit_refused", pcall(os.exit, 0) == false)
LUA
$RUN --no-db --seed 3 "$TMP/rand.lua" >"$TMP/r1.out" 2>&1
$RUN --no-db --seed 3 "$TMP/rand.lua" >"$TMP/r2.out" 2>&1
$RUN --no-db --seed 4 "$TMP/rand.lua" >"$TMP/r3.out" 2>&1
set -- $(grep '^lua_rand' "$TMP/r1.out")
if [ $# = 6 ] && [ "$2" -gt 24315 ] && [ "$2" -lt 25685 ] && [ $(($2 + $3)) = 100000 ] &&
   [ "$5" = 3.00 ] && awk -v e="$6" 'BEGIN { exit !(e > 49.5 && e < 50.5) }' &&
   grep -q "^lua_seed_refused	true" "$TMP/r1.out" && grep -q "^lua_moments	true	true	true" "$TMP/r1.out" &&
   grep -q "^lua_exit_refused	true" "$TMP/r1.out" &&
   [ "$(grep '^lua_rand' "$TMP/r1.out")" = "$(grep '^lua_rand' "$TMP/r2.out")" ] &&
   [ "$(grep '^lua_rand' "$TMP/r1.out")" != "$(grep '^lua_rand' "$TMP/r3.out")" ]; then
	ok lua_random
else
	notok lua_random "$(cat "$TMP/r1.out" "$TMP/r3.out" | grep lua_ | tr '\n' ' ')"
fi

# --- determinism: same seed -> identical samples and summary rows; another seed differs
db="$TMP/det.db"
for seed in 11 11 12; do
	$RUN --db "$db" --seed $seed --sample-every 200 --quiet workloads/kernel-objects.lua --set n=3000 || echo "run failed" >"$TMP/det.fail"
done
q="select seq, time_ns, events, requested, allocated, footprint, live_objects, page_live_pages, free_pages, failed_allocs, largest_free_order from samples where run_id = %d order by seq"
s1=$(sqlite3 "$db" "$(printf "$q" 1)"); s2=$(sqlite3 "$db" "$(printf "$q" 2)"); s3=$(sqlite3 "$db" "$(printf "$q" 3)")
q2="select key, value from run_stats where run_id = %d and key not like '%%wall%%' order by key"
t1=$(sqlite3 "$db" "$(printf "$q2" 1)"); t2=$(sqlite3 "$db" "$(printf "$q2" 2)")
n1=$(printf '%s\n' "$s1" | wc -l)
if [ ! -e "$TMP/det.fail" ] && [ "$n1" -ge 10 ] && [ "$s1" = "$s2" ] && [ "$t1" = "$t2" ] && [ "$s1" != "$s3" ]; then
	ok lua_determinism
else
	notok lua_determinism "rows=$n1 same=$([ "$s1" = "$s2" ] && echo y) stats_same=$([ "$t1" = "$t2" ] && echo y) differ=$([ "$s1" != "$s3" ] && echo y)"
fi
