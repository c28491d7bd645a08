-- phases.lua - the three shapes Johnstone & Wilson ("The memory
-- fragmentation problem: solved?", ISMM 1998) saw in the live memory of
-- real programs, one after the other:
--   ramp     the live set grows steadily (objects allocated, rarely freed);
--   peaks    bursts of short-lived objects rise and fall on top of it;
--   plateau  the live set holds still while objects are replaced (churn).
-- Sizes are lognormal (most objects small, a long tail), a shape J&W's
-- programs share. A snapshot is taken at each phase boundary.
local sim = require "kmemsim"
local P = sim.declare("ramp, peaks and plateau phases of live memory (Johnstone & Wilson)", {
	ramp = { 20000, "objects allocated in the ramp" },
	ramp_free = { 0.1, "chance a ramp step also frees a random live object" },
	peaks = { 4, "number of peaks" },
	peak_size = { 10000, "objects per peak" },
	plateau = { 50000, "replacement steps in the plateau" },
	mu = { 5.0, "lognormal mu of sizes (ln bytes)" },
	sigma = { 1.0, "lognormal sigma of sizes" },
	max_size = { 8192, "largest object, bytes" },
})

local lognormal, int, uniform = sim.rand.lognormal, sim.rand.int, sim.rand.uniform
local function size()
	return math.max(8, math.min(P.max_size, math.floor(lognormal(P.mu, P.sigma))))
end
local live, n = {}, 0
local function add(cpu)
	local h = sim.alloc(size(), { cpu = cpu })
	if h then n = n + 1; live[n] = h end
end
local function drop_random(cpu)
	if n == 0 then return end
	local i = int(1, n)
	sim.free(live[i], cpu)
	live[i] = live[n]; live[n] = nil; n = n - 1
end
local function phase(name)
	sim.sample()
	sim.snapshot(name)
	local st = sim.stats()
	print(string.format("phase %-8s live_objects %d live_bytes %d footprint %d", name,
		st.live_objects, st.live_bytes, st.footprint_bytes))
end

-- ramp
for i = 1, P.ramp do
	add(i % sim.cpus())
	if uniform(0, 1) < P.ramp_free then drop_random((i + 1) % sim.cpus()) end
	sim.advance(1000)
end
phase("ramp")
-- peaks: a burst of objects, then all of them go
for p = 1, P.peaks do
	local burst = {}
	for i = 1, P.peak_size do
		burst[i] = sim.alloc(size(), { cpu = i % sim.cpus() })
		sim.advance(100)
	end
	sim.sample()
	for i = 1, P.peak_size do sim.free(burst[i]) end
	sim.advance(1e6)
end
phase("peaks")
-- plateau: replace one live object per step
for i = 1, P.plateau do
	drop_random(i % sim.cpus())
	add((i + 1) % sim.cpus())
	sim.advance(1000)
end
phase("plateau")
