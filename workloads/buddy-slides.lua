-- buddy-slides.lua - the lecture's buddy example (Bos, "Dynamic memory",
-- shared/reference/003): a 1 MiB region whose smallest block is 64 KiB;
-- A 34K, B 66K, C 35K, D 67K are allocated, then C, A, B, D freed. Prints
-- the region after each step (t = 0..8), lowest address first: allocated
-- blocks as NAME-SIZE, free blocks as SIZE.
--
-- The table comes from the real buddy allocator (sim/page_buddy.c)
-- over a free-standing 1 MiB region (sim.buddy_model: 256 frames of 4 KiB,
-- orders 0..8): the simulated machine is at least 16 MiB, so the lecture's
-- region cannot be the machine itself. Each request is rounded up to
-- whole 64 KiB units, the slide's smallest block, before it reaches the
-- allocator (the allocator's own minimum is one 4 KiB frame).
-- With drive=true the same requests are also made of the back end under
-- test, with a sample after each step, so the run has data of its own.
local sim = require "kmemsim"
local P = sim.declare("the lecture's buddy table (1 MiB, 64K minimum block), t = 0..8", {
	drive = { true, "also make the requests of the back end under test" },
	min_block = { 64 * 1024, "smallest block of the lecture's region, bytes" },
})

local region = sim.buddy_model(256, 8)
local req = { { "A", 34 }, { "B", 66 }, { "C", 35 }, { "D", 67 } }
local free_order = { "C", "A", "B", "D" }
local at, bytes, owner, handle = {}, {}, {}, {}

local function round(b) return math.ceil(b / P.min_block) * P.min_block end

local function show(t)
	if not region:check() then error("buddy model: invariant broken at t=" .. t) end
	local out = { "t=" .. t .. ":" }
	for _, blk in ipairs(region:blocks()) do
		local kib = 4 * 2 ^ blk.order
		if blk.allocated then
			out[#out + 1] = string.format("%s-%dK", owner[blk.pfn], kib)
		else
			out[#out + 1] = string.format("%dK", kib)
		end
	end
	io.write(table.concat(out, " "), "\n")
	if P.drive then sim.sample() end
end

local t = 0
show(t)
for _, r in ipairs(req) do
	local name, kib = r[1], r[2]
	bytes[name] = round(kib * 1024)
	at[name] = region:alloc(bytes[name])
	if not at[name] then error(name .. ": allocation failed in the 1 MiB region") end
	owner[at[name]] = name
	if P.drive then handle[name] = sim.alloc(kib * 1024) end
	t = t + 1
	show(t)
end
for _, name in ipairs(free_order) do
	region:free(at[name], bytes[name])
	owner[at[name]] = nil
	if P.drive then sim.free(handle[name]) end
	t = t + 1
	show(t)
end
