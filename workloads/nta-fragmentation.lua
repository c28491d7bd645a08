-- nta-fragmentation.lua - Polyakov's fragmentation test of the Network Tree
-- Allocator (shared/reference/004): allocate objects of random size, 32 to
-- the maximum in 32-byte steps, never freeing, until an allocation fails;
-- then halve the maximum and go on, four rounds in all (PAGE_SIZE, /2, /4,
-- /8). Each failure prints the round, the maximum and the failed size,
-- and takes a page-bitmap snapshot labelled with them (the blog's per-page
-- used/free graphs); the sizes are also stored as run_stats
-- script_failed_size_N. NTA's own figures on 4094 pages: failures at 1912,
-- 968, 504 and 252 bytes.
local sim = require "kmemsim"
local P = sim.declare("NTA's test: random sizes until failure, halve the maximum, four rounds", {
	max = { 4096, "first maximum size, bytes (PAGE_SIZE)" },
	step = { 32, "size granule, bytes" },
	rounds = { 4, "failures to reach (the maximum halves after each)" },
	limit = { 10000000, "give up a round after this many allocations" },
	cpus_used = { 1, "CPUs the allocations rotate over" },
})

local max = P.max
local alloc, int = sim.alloc, sim.rand.int
local total = 0
for round = 1, P.rounds do
	local steps = math.floor(max / P.step)
	if steps < 1 then break end
	local failed
	for i = 1, P.limit do
		local size = int(1, steps) * P.step
		total = total + 1
		if not alloc(size, { cpu = total % P.cpus_used }) then
			failed = size
			break
		end
	end
	if failed then
		print(string.format("nta_failure: round %d max %d failed_size %d after %d allocations",
			round, max, failed, total))
		sim.snapshot(string.format("failure %d: max %d, failed %d", round, max, failed))
		sim.record("failed_size_" .. round, failed)
		sim.record("allocations_" .. round, total)
	else
		print(string.format("nta_failure: round %d max %d none within %d allocations", round, max, P.limit))
	end
	sim.sample()
	max = math.floor(max / 2)
end
