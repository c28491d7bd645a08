-- net-packets.lua - network receive: a NIC's interrupt on one CPU allocates
-- an sk_buff head (skbuff_head_cache) and a data buffer (kmalloc) per
-- packet; the packet is consumed, and both freed, on another CPU after a
-- queueing delay, as with RPS/RFS steering or a socket read on another
-- core. Every free is a cross-CPU free: the case SLUB's remote free path,
-- SLAB's alien caches and NTA's per-CPU free queue exist for.
--
-- Data buffer size as Linux's __alloc_skb computes it for a received frame:
-- SKB_DATA_ALIGN(mtu + NET_SKB_PAD (64) + NET_IP_ALIGN (2)) +
-- SKB_DATA_ALIGN(sizeof(struct skb_shared_info) (320)), 64-byte aligned:
-- 1920 bytes for MTU 1500 and 9408 bytes for a 9000-byte jumbo frame.
local sim = require "kmemsim"
local P = sim.declare("skb heads and MTU 1500 / 9000 data buffers, allocated on one CPU, freed on another", {
	packets = { 100000, "packets" },
	pps = { 200000, "packets per simulated second" },
	jumbo = { 0.25, "share of 9000-byte (jumbo) frames" },
	delay_us = { 50, "mean time from receive to consumption, us (exponential)" },
	rx_cpu = { 0, "CPU taking the interrupts" },
	app_cpu = { 1, "CPU consuming the packets" },
})

local function data_size(mtu)
	local function align(x) return math.ceil(x / 64) * 64 end
	return align(mtu + 64 + 2) + align(320)
end
local small, big = data_size(1500), data_size(9000)
local head_cache = sim.cache("skbuff_head_cache", 232)
local rx, app = P.rx_cpu % sim.cpus(), P.app_cpu % sim.cpus()
local uniform, exponential = sim.rand.uniform, sim.rand.exponential
local gap, delay = 1e9 / P.pps, P.delay_us * 1e3

-- In-flight packets wait in a queue sorted by consumption time (a later
-- packet may be consumed earlier: it is inserted from the tail, which is
-- cheap because delays are short).
local q_head, q_data, q_due = {}, {}, {}
local first, last = 1, 0
local cross, dropped, now = 0, 0, 0

local function consume_until(t)
	while first <= last and q_due[first] <= t do
		for _, h in ipairs { q_head[first], q_data[first] } do
			if sim.owner_cpu(h) ~= app then cross = cross + 1 end
			sim.free(h, app)
		end
		q_head[first], q_data[first], q_due[first] = nil, nil, nil
		first = first + 1
	end
end

for i = 1, P.packets do
	local step = exponential(gap)
	now = now + step
	sim.advance(math.floor(step))   -- simulated time is whole ns
	consume_until(now)   -- packets due by now are consumed (at most one gap late)
	local head = sim.alloc(232, { cache = head_cache, cpu = rx, gfp = sim.GFP_ATOMIC })
	local data = head and sim.alloc(uniform(0, 1) < P.jumbo and big or small, { cpu = rx, gfp = sim.GFP_ATOMIC })
	if not data then
		if head then sim.free(head, rx) end
		dropped = dropped + 1
	else
		-- insert by due time, from the tail
		local due = now + exponential(delay)
		last = last + 1
		local j = last
		while j > first and q_due[j - 1] > due do
			q_head[j], q_data[j], q_due[j] = q_head[j - 1], q_data[j - 1], q_due[j - 1]
			j = j - 1
		end
		q_head[j], q_data[j], q_due[j] = head, data, due
	end
end
consume_until(math.huge)
sim.record("cross_cpu_frees", cross)
sim.record("dropped", dropped)
print(string.format("net_packets: %d packets, %d dropped, %d cross_cpu_frees", P.packets, dropped, cross))
