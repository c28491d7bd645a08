-- kmemsim.lua - the Lua side of the workload API.
--
--   local sim = require "kmemsim"
--
-- Every call reaches the engine through LuaJIT's FFI: the C functions are
-- declared once, in sim/kmemsim_api.h, which this file reads (dropping the
-- preprocessor lines) and hands to ffi.cdef; the kmemsim executable exports
-- them (-Wl,-E), so ffi.C finds them. No lua_CFunction sits on the
-- per-event path and the engine never calls back into Lua per event:
-- lifetimes are freed by the engine's timer heap; sim.after callbacks wait
-- in a small Lua queue that only sim.advance (and the end of the script)
-- looks at.
--
-- Randomness: only the engine's generator, seeded by --seed. math.random is
-- rebound to it (same seed, same numbers) and math.randomseed raises an
-- error.
--
-- Numbers: every number goes to C as a double and is checked there (an
-- integer in the argument's range: sizes 1..2^32-1, CPUs 0..cpus-1, times
-- 0..2^63 ns, ...); a bad one is an error raised at the script's line
-- ("script.lua:LINE: alloc: size must be ... (got ...)"), never wrapped or
-- truncated. The wrappers below only turn C's error code into that error.

local ffi = require "ffi"
local cfg = package.loaded["kmemsim.config"] or {}

local M = {}

-- ---- the C API ----

local function api_header_path()
	if cfg.api_header then return cfg.api_header end
	-- Fallback: relative to this file (workloads/lib/ -> ../../sim/).
	local src = debug.getinfo(1, "S").source:gsub("^@", "")
	local dir = src:match("^(.*)/[^/]*$") or "."
	return dir .. "/../../sim/kmemsim_api.h"
end

do
	local path = api_header_path()
	local f = io.open(path, "r")
	if not f then error("kmemsim: cannot read the API header " .. path, 0) end
	local lines = {}
	for line in f:lines() do
		if not line:match("^%s*#") then lines[#lines + 1] = line end
	end
	f:close()
	ffi.cdef(table.concat(lines, "\n"))
end

local C = ffi.C
M.C = C   -- the raw API, for scripts that want to skip the wrappers

-- GFP bits, from the header's enum (the values of sim/base.h).
for _, g in ipairs { "DMA", "DMA32", "ATOMIC", "MOVABLE", "ZERO", "NOWARN", "ACCOUNT", "RECLAIMABLE" } do
	M["GFP_" .. g] = tonumber(C["KMS_GFP_" .. g])
end
M.KiB, M.MiB, M.GiB = 1024, 1024 * 1024, 1024 * 1024 * 1024
M.us, M.ms, M.s = 1e3, 1e6, 1e9   -- simulated time is in ns

local describing = cfg.describe and true or false

-- A stopped run (SIGINT, SIGTERM, a limit: C.kms_stopped) ends the script
-- with this error object; luaw.c records the run as interrupted, not as a
-- script error. Looked at where it costs nothing: a failed sim.alloc,
-- sim.advance, sim.drain and the end of the script.
local STOP = { kmemsim_stop = true }
local function check_stop()
	if C.kms_stopped() ~= 0 then error(STOP, 0) end
end

-- ---- parameters ----

local declared = nil        -- key -> {default, help}
M.params = {}

local function parse_value(key, default, text)
	local t = type(default)
	if t == "number" then
		local num, suffix = text:match("^%s*(.-)%s*([KkMmGgTt]?)%s*$")
		local v = num and tonumber(num)
		if not v then
			error(string.format("--set %s=%s: %s needs a number (default %s)", key, text, key, tostring(default)), 0)
		end
		local mult = ({ k = 2^10, m = 2^20, g = 2^30, t = 2^40 })[suffix:lower()] or 1
		return v * mult
	elseif t == "boolean" then
		local l = text:lower()
		if l == "1" or l == "true" or l == "yes" or l == "on" then return true end
		if l == "0" or l == "false" or l == "no" or l == "off" then return false end
		error(string.format("--set %s=%s: %s is true or false", key, text, key), 0)
	end
	return text
end

local function sorted_keys(t)
	local keys = {}
	for k in pairs(t) do keys[#keys + 1] = k end
	table.sort(keys)
	return keys
end

local function print_description(desc, decl)
	io.write(cfg.script or "script", ": ", desc or "(no description)", "\n")
	local keys = sorted_keys(decl or {})
	if #keys == 0 then
		io.write("parameters: none\n")
		return
	end
	io.write("parameters (kmemsim run ... --set KEY=VALUE):\n")
	local w = 0
	for _, k in ipairs(keys) do w = math.max(w, #k) end
	for _, k in ipairs(keys) do
		local d = decl[k]
		io.write(string.format("  %-" .. w .. "s = %-12s %s\n", k, tostring(d[1]), d[2] or ""))
	end
	io.flush()
end

-- params = sim.declare("what the workload does", { key = {default, "help"}, ... })
-- Returns the parameters: the defaults with the --set values merged over
-- them (numbers accept K/M/G/T suffixes; booleans true/false/1/0). An
-- unknown --set key is an error that lists the valid keys. Under
-- `kmemsim describe` this prints the declaration and stops the script.
function M.declare(desc, decl)
	if type(desc) ~= "string" or type(decl) ~= "table" then
		error("sim.declare(description, {key = {default, help}, ...})", 2)
	end
	if declared then error("sim.declare: called twice", 2) end
	for k, d in pairs(decl) do
		if type(k) ~= "string" or type(d) ~= "table" or d[1] == nil then
			error("sim.declare: parameter " .. tostring(k) .. " needs {default, help}", 2)
		end
	end
	declared = decl
	M.description = desc
	if describing then
		print_description(desc, decl)
		error({ kmemsim_stop = true })
	end
	local p = {}
	for k, d in pairs(decl) do p[k] = d[1] end
	for i = 0, C.kms_set_count() - 1 do
		local key, val = ffi.string(C.kms_set_key(i)), ffi.string(C.kms_set_value(i))
		local d = decl[key]
		if not d then
			error(string.format("unknown parameter '%s' (--set); valid: %s", key,
				table.concat(sorted_keys(decl), ", ")), 2)
		end
		local ok, v = pcall(parse_value, key, d[1], val)
		if not ok then error(v, 2) end
		p[key] = v
	end
	M.params = p
	return p
end

-- ---- simulation calls ----

local default_cpu = 0

if describing then
	-- Nothing is simulated while describing: any call before sim.declare
	-- is a mistake in the script.
	local function refuse(name)
		return function()
			error("sim." .. name .. ": not available under `kmemsim describe` (call sim.declare first)", 2)
		end
	end
	for _, name in ipairs { "alloc", "free", "cache", "after", "advance", "now", "cpu", "cpus",
		"sample", "snapshot", "reclaim", "stats", "report", "record", "drain", "allocator", "owner_cpu",
		"buddy_model" } do
		M[name] = refuse(name)
	end
	M.C = nil
	M.rand = setmetatable({}, { __index = function(_, k) return refuse("rand." .. k) end })
	math.random = refuse("math.random")
	function M._describe() print_description(nil, {}) end
	return M
end

-- h = sim.alloc(size, {cache=, cpu=, gfp=, lifetime=ns}) -> handle, or nil on failure
function M.alloc(size, o)
	local cache, cpu, gfp, life = 0, default_cpu, 0, 0
	if o ~= nil then
		cache = o.cache or 0
		cpu = o.cpu or default_cpu
		gfp = o.gfp or 0
		life = o.lifetime or 0
	end
	local h = C.kms_alloc(size, cache, cpu, gfp, life)
	if h > 0 then return h end
	if h == 0 then check_stop() return nil end
	error(ffi.string(C.kms_error()), 2)
end

-- sim.free(h[, cpu]): cpu defaults to the current CPU (sim.cpu); nil is
-- kfree(NULL). Freeing a handle twice (or after its lifetime ended) is an
-- error, as is a number sim.alloc never returned.
function M.free(h, cpu)
	if C.kms_free(h or 0, cpu or default_cpu) < 0 then error(ffi.string(C.kms_error()), 2) end
end

-- The CPU that allocated a live handle, or nil.
function M.owner_cpu(h)
	local c = C.kms_owner_cpu(h)
	if c < 0 then return nil end
	return c
end

-- id = sim.cache(name, size[, align]): the same name again gives the same
-- id; with another size or alignment it is an error.
function M.cache(name, size, align)
	if type(name) ~= "string" or name == "" or name:find("%z") then
		error("cache: the name must be a non-empty string without NUL bytes", 2)
	end
	local id = C.kms_cache(name, size, align or 0)
	if id == -2 then error(ffi.string(C.kms_error()), 2) end
	if id < 0 then error(string.format("sim.cache: back end %s refused cache %s (size %d)",
		ffi.string(C.kms_allocator()), name, size), 2) end
	return id
end

function M.cpu(n)
	if n == nil then return default_cpu end
	if C.kms_cpu_check("sim.cpu", n) < 0 then error(ffi.string(C.kms_error()), 2) end
	default_cpu = n
	return default_cpu
end

function M.cpus() return C.kms_cpus() end
function M.now() return C.kms_now() end
function M.allocator() return ffi.string(C.kms_allocator()) end
function M.sample() C.kms_sample() end
function M.snapshot(label) C.kms_snapshot(label and tostring(label) or nil) end
function M.reclaim() C.kms_reclaim() end
function M.drain() C.kms_drain() check_stop() end

-- sim.after(ns, fn): call fn when simulated time reaches now + ns. A Lua
-- queue (binary heap on time, ties in order of arrival), looked at by
-- sim.advance; not an event-path callback.
local heap, nheap, seq = {}, 0, 0

local function before(a, b) return a.when < b.when or (a.when == b.when and a.seq < b.seq) end

local function heap_push(t)
	nheap = nheap + 1
	local i = nheap
	while i > 1 do
		local p = math.floor(i / 2)
		if not before(t, heap[p]) then break end
		heap[i] = heap[p]
		i = p
	end
	heap[i] = t
end

local function heap_pop()
	local top, last = heap[1], heap[nheap]
	heap[nheap] = nil
	nheap = nheap - 1
	local i = 1
	while true do
		local c = 2 * i
		if c > nheap then break end
		if c + 1 <= nheap and before(heap[c + 1], heap[c]) then c = c + 1 end
		if not before(heap[c], last) then break end
		heap[i] = heap[c]
		i = c
	end
	if nheap > 0 then heap[i] = last end
	return top
end

function M.after(ns, fn)
	if type(fn) ~= "function" then error("sim.after(ns, function)", 2) end
	if C.kms_time_check("after", ns) < 0 then error(ffi.string(C.kms_error()), 2) end
	seq = seq + 1
	heap_push({ when = C.kms_now() + ns, seq = seq, fn = fn })
end

local function advance_to(t)
	local now = C.kms_now()
	if t > now and C.kms_advance(t - now) < 0 then error(ffi.string(C.kms_error()), 3) end
end

-- sim.advance(ns): let time pass; scheduled frees and sim.after callbacks
-- run in time order. Without pending callbacks the engine's 64-bit clock
-- moves by exactly ns; callback deadlines are doubles (exact below 2^53 ns).
function M.advance(ns)
	if nheap == 0 then
		if C.kms_advance(ns) < 0 then error(ffi.string(C.kms_error()), 2) end
		return
	end
	if C.kms_time_check("advance", ns) < 0 then error(ffi.string(C.kms_error()), 2) end
	local target = C.kms_now() + ns
	while nheap > 0 and heap[1].when <= target do
		local t = heap_pop()
		advance_to(t.when)
		check_stop()
		t.fn()
	end
	advance_to(target)
	check_stop()
end

local stat_fields = {
	"events", "allocs", "frees", "free_unknown", "free_null", "alloc_null", "realloc_live",
	"failed_allocs", "page_allocs", "page_frees", "page_free_unknown", "page_failed",
	"live_bytes", "live_objects", "peak_live_bytes", "peak_live_objects", "page_live_pages",
	"peak_page_live_pages", "peak_footprint_bytes", "peak_alloc_bytes", "checks",
	"footprint_bytes", "alloc_bytes", "meta_bytes", "free_pages", "now_ns", "free_of_failed",
}
local stats_buf = ffi.new("struct kms_stats")
local nreasons = ffi.sizeof(stats_buf.failed_by) / ffi.sizeof("uint64_t")

-- sim.stats(): the engine's counters (struct sim_stats) plus footprint_bytes,
-- alloc_bytes, meta_bytes, free_pages and now_ns; failed_by[reason name].
function M.stats()
	C.kms_stats(stats_buf)
	local t = {}
	for _, k in ipairs(stat_fields) do t[k] = tonumber(stats_buf[k]) end
	t.failed_by = {}
	for i = 1, nreasons - 1 do t.failed_by[ffi.string(C.kms_fail_reason_name(i))] = tonumber(stats_buf.failed_by[i]) end
	return t
end

-- sim.record(key, value): a result of the script's own, stored with the run
-- in results.db (run_stats, key "script_" .. key).
function M.record(key, value)
	if type(key) ~= "string" or type(value) ~= "number" then error("sim.record(key, number)", 2) end
	C.kms_record(key, value)
end

-- sim.report(): every key of the run summary (engine, kvm, metrics, back end).
function M.report()
	local t = {}
	for i = 0, C.kms_report_collect() - 1 do
		t[ffi.string(C.kms_report_key(i))] = C.kms_report_value(i)
	end
	return t
end

-- ---- randomness ----

-- A bad parameter (no number to draw) comes back as NaN: raise kms_error
-- at the line that called sim.rand.* (level 3: drawn, the rand function,
-- its caller; no tail calls, so no frame is skipped).
local function drawn(v)
	if v ~= v then error(ffi.string(C.kms_error()), 3) end
	return v
end

local rand = {}
M.rand = rand
function rand.uniform(a, b) local v = drawn(C.kms_rand_uniform(a or 0, b or 1)); return v end
function rand.int(lo, hi) local v = drawn(C.kms_rand_int(lo, hi)); return v end
function rand.exponential(mean) local v = drawn(C.kms_rand_exponential(mean)); return v end
function rand.lognormal(mu, sigma) local v = drawn(C.kms_rand_lognormal(mu, sigma)); return v end
function rand.pareto(xm, alpha) local v = drawn(C.kms_rand_pareto(xm, alpha)); return v end

-- d = sim.rand.empirical{ {value, weight}, ... }  (or {values = {...}, weights = {...}})
-- d() draws a value with probability proportional to its weight (alias
-- method in C, O(1) per draw).
function rand.empirical(hist)
	local vals, wts = {}, {}
	if type(hist) ~= "table" then error("sim.rand.empirical: a histogram table", 2) end
	if hist.values then
		vals, wts = hist.values, hist.weights or {}
	else
		for i, pair in ipairs(hist) do vals[i], wts[i] = pair[1], pair[2] end
	end
	local n = #vals
	if n == 0 or #wts ~= n then error("sim.rand.empirical: as many weights as values, at least one", 2) end
	local cv, cw = ffi.new("double[?]", n), ffi.new("double[?]", n)
	for i = 1, n do cv[i - 1], cw[i - 1] = vals[i], wts[i] end
	local e = C.kms_empirical_create(cv, cw, n)
	if e == nil then error("sim.rand.empirical: weights must be >= 0 and not all 0", 2) end
	e = ffi.gc(e, C.kms_empirical_destroy)
	return function() return C.kms_empirical_draw(e) end
end

-- math.random draws from the engine's generator (Lua 5.1 semantics);
-- reseeding is --seed's job.
math.random = function(m, n)
	if m == nil then return C.kms_rand_uniform(0, 1) end
	if n == nil then m, n = 1, m end
	if m > n then error("bad argument to 'random' (interval is empty)", 2) end
	local v = drawn(C.kms_rand_int(m, n))
	return v
end
math.randomseed = function()
	error("math.randomseed: the seed is kmemsim's --seed", 2)
end

-- os.exit would end the process before the run is recorded; a script ends
-- by returning (or by error(), which marks the run failed).
os.exit = function()
	error("os.exit: return from the script instead (the run must be recorded)", 2)
end

-- ---- a free-standing buddy allocator (allocators/buddy.c) ----

local buddy_mt = {}
buddy_mt.__index = buddy_mt
function buddy_mt:alloc(bytes)
	local pfn = C.kms_buddy_alloc(self.b, bytes)
	if pfn == -2 then error("buddy model: alloc needs an integer number of bytes 0..2^53 (got " .. tostring(bytes) .. ")", 2) end
	if pfn < 0 then return nil end
	return pfn
end
function buddy_mt:free(pfn, bytes)
	if C.kms_buddy_free(self.b, pfn, bytes) < 0 then
		error(string.format("buddy model: no allocated block for %s bytes at pfn %s", tostring(bytes), tostring(pfn)), 2)
	end
end
function buddy_mt:check() return C.kms_buddy_check(self.b) == 1 end
-- Blocks from the lowest address: { {pfn=, order=, allocated=bool}, ... }
function buddy_mt:blocks()
	local out, order = {}, ffi.new("int32_t[1]")
	local pfn = 0
	while pfn < self.nframes do
		local st = C.kms_buddy_block(self.b, pfn, order)
		if st < 0 then error("buddy model: no block at pfn " .. pfn) end
		out[#out + 1] = { pfn = pfn, order = order[0], allocated = st == 1 }
		pfn = pfn + 2 ^ order[0]
	end
	return out
end

-- m = sim.buddy_model(nframes, max_order): nframes 4 KiB frames, orders
-- 0..max_order, outside the simulated machine (for worked examples).
function M.buddy_model(nframes, max_order)
	local b = C.kms_buddy_create(nframes, max_order)
	if b == nil then error("sim.buddy_model: nframes an integer 1..2^24, max_order 0..19 (got "
		.. tostring(nframes) .. ", " .. tostring(max_order) .. ")", 2) end
	return setmetatable({ b = ffi.gc(b, C.kms_buddy_destroy), nframes = nframes }, buddy_mt)
end

-- ---- end of the script (called by luaw.c) ----

function M._finish()
	-- A --set key with no declaration is an error, even if nothing was declared.
	if not declared and C.kms_set_count() > 0 then
		error(string.format("unknown parameter '%s' (--set): the script declares no parameters",
			ffi.string(C.kms_set_key(0))), 0)
	end
	-- Pending sim.after callbacks run in time order; one that re-arms itself
	-- forever must stop on its own (e.g. when sim.now() passes a limit).
	while nheap > 0 do
		local t = heap_pop()
		advance_to(t.when)
		check_stop()
		t.fn()
	end
end

return M
