-- hostage.lua - a few old objects hold whole pages hostage (the reference
-- IRC log's complaint about slab allocators, shared/reference/000): many
-- short-lived objects are allocated interleaved with a few long-lived ones,
-- so nearly every slab page gets a long-lived object; when the short-lived
-- ones are freed (and the caches reaped), the pages cannot be returned.
-- The run prints the footprint at the peak and after the frees and the
-- reclaim, against the bytes still live.
local sim = require "kmemsim"
local P = sim.declare("long-lived objects interleaved with short-lived ones pin whole pages", {
	n = { 20000, "objects" },
	every = { 8, "one object in this many is long-lived" },
	size = { 256, "object size, bytes" },
	cache = { true, "use a named cache (false: kmalloc)" },
	run = { 64, "objects each CPU allocates in a row" },
})

local id = P.cache and sim.cache("hostage_obj", P.size) or 0
local short, long = {}, {}
for i = 1, P.n do
	-- each CPU allocates runs of `run` objects, so every CPU's slabs get
	-- their share of long-lived objects
	local h = sim.alloc(P.size, { cache = id, cpu = math.floor((i - 1) / P.run) % sim.cpus() })
	if h then
		if i % P.every == 0 then long[#long + 1] = h else short[#short + 1] = h end
	end
	if i % 1000 == 0 then sim.advance(1e6) end
end
local peak = sim.stats()
sim.snapshot("peak")
for i = 1, #short do sim.free(short[i], i % sim.cpus()) end
sim.advance(1e9)   -- let back ends that reap on a timer do so
sim.reclaim()
sim.sample()
sim.snapshot("after frees")
local after = sim.stats()
print(string.format("hostage_peak: footprint %d live %d", peak.footprint_bytes, peak.live_bytes))
print(string.format("hostage_after: footprint %d live %d", after.footprint_bytes, after.live_bytes))
sim.record("footprint_kept", after.footprint_bytes / math.max(1, peak.footprint_bytes))
sim.record("live_kept", after.live_bytes / math.max(1, peak.live_bytes))
print(string.format("hostage_ratio: %.4f footprint kept, %.4f of bytes live",
	after.footprint_bytes / math.max(1, peak.footprint_bytes), after.live_bytes / math.max(1, peak.live_bytes)))
