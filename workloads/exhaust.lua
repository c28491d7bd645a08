-- exhaust.lua - fill memory until allocations fail, then free everything,
-- reclaim, and show that memory comes back: allocations succeed again and
-- the footprint falls. Sizes are drawn uniformly from the sizes list
-- (kmalloc) so every size class fills; the run stops filling after
-- `failures` consecutive failures (one failing size class need not mean
-- the others are full).
local sim = require "kmemsim"
local P = sim.declare("fill memory until allocations fail, then free, reclaim and recover", {
	failures = { 64, "consecutive failures that end the fill" },
	limit = { 50000000, "most allocations tried while filling" },
	size_min = { 64, "smallest object, bytes" },
	size_max = { 4096, "largest object, bytes" },
	again = { 1000, "allocations tried after the reclaim" },
})

local live, n = {}, 0
local run, tried = 0, 0
while run < P.failures and tried < P.limit do
	tried = tried + 1
	local h = sim.alloc(sim.rand.int(P.size_min, P.size_max), { cpu = tried % sim.cpus() })
	if h then
		n = n + 1
		live[n] = h
		run = 0
	else
		run = run + 1
	end
end
local full = sim.stats()
print(string.format("exhaust_filled: %d objects, %d bytes live, footprint %d, failed %d",
	n, full.live_bytes, full.footprint_bytes, full.failed_allocs))
sim.snapshot("full")
for i = 1, n do sim.free(live[i]); live[i] = nil end
sim.reclaim()
sim.sample()
local empty = sim.stats()
print(string.format("exhaust_freed: footprint %d after free and reclaim", empty.footprint_bytes))
local ok = 0
for i = 1, P.again do
	local h = sim.alloc(sim.rand.int(P.size_min, P.size_max))
	if h then ok = ok + 1; sim.free(h) end
end
print(string.format("exhaust_recovered: %d of %d allocations succeeded", ok, P.again))
sim.record("filled_objects", n)
sim.record("footprint_full", full.footprint_bytes)
sim.record("footprint_freed", empty.footprint_bytes)
sim.record("recovered", ok / P.again)
