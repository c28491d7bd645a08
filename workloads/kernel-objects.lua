-- kernel-objects.lua - kernel objects as a real machine makes them: named
-- caches with the object sizes, mix and lifetimes measured on a recorded
-- trace, drawn from the engine's generator.
--
-- How the data below was measured (workloads/tools/measure-trace.sh):
--   workloads/tools/measure-trace.sh ../shared/traces/gcc-small.ftrace.xz 200
-- on the Linux 6.18 ftrace kmem trace of a small gcc build (2 CPUs,
-- 9841 object allocations in 0.288 s, so 34,200 allocations/s). For each
-- cache with at least 200 allocations (kmem_cache_alloc name=, or kmalloc):
--   count        allocations in the trace (the cache's share of the mix);
--   sizes        requested sizes (bytes_req) with how often each occurred;
--   life_us_log2 lifetimes = free time - alloc time of the same ptr, in
--                power-of-two microsecond bins {bin, count}: bin b holds
--                [2^b, 2^(b+1)) us (bin 0 also < 1 us);
--   live_at_end  objects not freed before the trace ended: they become
--                long-lived objects here (freed only at the end of the run).
-- A lifetime is drawn as a bin (by its count), then uniformly inside it.
local sim = require "kmemsim"
local P = sim.declare("named caches with sizes, mix and lifetimes measured on a real trace", {
	n = { 200000, "allocations" },
	rate = { 34200, "allocations per simulated second" },
	long_life = { 0, "lifetime of the objects live at the trace's end, ns (0 = until the end)" },
	cpus_used = { 2, "CPUs allocations rotate over" },
})

-- measured: 9841 allocations (gcc-small.ftrace.xz, Linux 6.18)
local caches = {
	{ name = "names_cache", count = 3275, live_at_end = 0,
	  sizes = { {4096, 3275}, },
	  life_us_log2 = { {0, 1069}, {1, 1394}, {2, 643}, {3, 99}, {4, 14}, {5, 11}, {6, 12}, {7, 15}, {8, 11}, {9, 2}, {10, 1}, {11, 2}, {12, 1}, {13, 1}, } },
	{ name = "filp", count = 788, live_at_end = 1,
	  sizes = { {184, 788}, },
	  life_us_log2 = { {0, 19}, {1, 256}, {2, 75}, {3, 55}, {4, 59}, {5, 19}, {6, 21}, {7, 38}, {8, 16}, {9, 8}, {10, 24}, {11, 23}, {12, 19}, {13, 10}, {14, 110}, {15, 18}, {16, 10}, {17, 6}, {18, 1}, } },
	{ name = "lsm_file_cache", count = 788, live_at_end = 1,
	  sizes = { {24, 788}, },
	  life_us_log2 = { {0, 136}, {1, 163}, {2, 62}, {3, 50}, {4, 55}, {5, 17}, {6, 22}, {7, 37}, {8, 16}, {9, 8}, {10, 24}, {11, 23}, {12, 19}, {13, 10}, {14, 110}, {15, 18}, {16, 10}, {17, 6}, {18, 1}, } },
	{ name = "kmalloc", count = 273, live_at_end = 23,
	  sizes = { {312, 2}, {112, 1}, {64, 33}, {11, 36}, {504, 18}, {96, 26}, {28, 18}, {728, 9}, {72, 21}, {640, 12}, {32, 3}, {2048, 18}, {56, 18}, {784, 9}, {168, 1}, {16, 6}, {48, 12}, {408, 18}, {176, 12}, },
	  life_us_log2 = { {0, 1}, {1, 26}, {2, 15}, {3, 21}, {4, 2}, {6, 23}, {7, 34}, {8, 19}, {9, 6}, {10, 15}, {11, 15}, {12, 7}, {13, 7}, {14, 24}, {15, 16}, {16, 13}, {17, 6}, } },
	{ name = "anon_vma_chain", count = 766, live_at_end = 0,
	  sizes = { {64, 766}, },
	  life_us_log2 = { {3, 60}, {4, 2}, {5, 1}, {6, 3}, {7, 12}, {8, 273}, {9, 84}, {10, 27}, {11, 41}, {12, 6}, {13, 8}, {14, 175}, {15, 47}, {16, 14}, {17, 13}, } },
	{ name = "maple_node", count = 1481, live_at_end = 1454,
	  sizes = { {256, 1481}, },
	  life_us_log2 = { {5, 3}, {7, 3}, {9, 7}, {10, 5}, {14, 5}, {15, 3}, {17, 1}, } },
	{ name = "vm_area_struct", count = 1366, live_at_end = 0,
	  sizes = { {192, 1366}, },
	  life_us_log2 = { {2, 2}, {3, 211}, {4, 107}, {5, 2}, {6, 5}, {7, 11}, {8, 160}, {9, 160}, {10, 29}, {11, 106}, {12, 11}, {13, 18}, {14, 381}, {15, 78}, {16, 58}, {17, 27}, } },
	{ name = "anon_vma", count = 310, live_at_end = 0,
	  sizes = { {96, 310}, },
	  life_us_log2 = { {5, 2}, {6, 1}, {7, 3}, {8, 74}, {9, 25}, {10, 13}, {11, 24}, {12, 2}, {13, 6}, {14, 110}, {15, 28}, {16, 13}, {17, 9}, } },
}

-- Build each cache's samplers once; the per-allocation path is then draws
-- from C and one FFI call.
local mix_w, mix_v = {}, {}
for i, c in ipairs(caches) do
	mix_v[i], mix_w[i] = i, c.count
	local maxsize = 0
	for _, s in ipairs(c.sizes) do maxsize = math.max(maxsize, s[1]) end
	c.id = c.name == "kmalloc" and 0 or sim.cache(c.name, maxsize)
	c.size = sim.rand.empirical(c.sizes)
	c.bin = sim.rand.empirical(c.life_us_log2)
	c.p_long = c.live_at_end / c.count
end
local pick = sim.rand.empirical { values = mix_v, weights = mix_w }
local uniform, exponential = sim.rand.uniform, sim.rand.exponential
local gap = 1e9 / P.rate

local long = {}
for i = 1, P.n do
	local c = caches[pick()]
	local life
	if uniform(0, 1) < c.p_long then
		life = P.long_life
	else
		local b = c.bin()
		life = math.floor(uniform(2 ^ b, 2 ^ (b + 1)) * 1000)
	end
	local h = sim.alloc(c.size(), { cache = c.id, cpu = i % P.cpus_used, lifetime = life })
	if h and life == 0 then long[#long + 1] = h end
	sim.advance(math.floor(exponential(gap)))
end
print(string.format("kernel_objects: %d allocations, %d long-lived, %d caches",
	P.n, #long, #caches))
