-- bench.lua - the speed benchmark of `make bench`: a sliding window of live
-- objects, each step frees the oldest and allocates a new one, sizes from
-- a fixed mix of kmalloc sizes. events = 2 * steps (+ the initial fill).
local sim = require "kmemsim"
local P = sim.declare("synthetic alloc/free stream for `make bench`", {
	events = { 10000000, "events (allocs + frees)" },
	window = { 4096, "live objects kept" },
	cpus_used = { 2, "CPUs the stream alternates over" },
})
local alloc, free = sim.alloc, sim.free
local sizes = { 32, 64, 96, 128, 192, 256, 512, 1024 }
local ring, w = {}, P.window
local steps = math.floor(P.events / 2)
local ncpu = P.cpus_used
for i = 0, w - 1 do ring[i] = alloc(sizes[i % 8 + 1]) end
for i = 0, steps - w - 1 do
	local slot = i % w
	free(ring[slot], i % ncpu)
	ring[slot] = alloc(sizes[(i * 7) % 8 + 1], { cpu = (i + 1) % ncpu })
end
for i = 0, w - 1 do free(ring[i]) end
