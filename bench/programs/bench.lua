-- CPU work for the real-program benchmark: calls, tables, strings, sorting.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
local t = {}
for i = 1, 300000 do t[i] = (i * 7919) % 1000003 end
table.sort(t)
local parts = {}
for i = 1, 100000 do parts[#parts + 1] = string.format("%d:%x", i, i * 31) end
local s = table.concat(parts, ",")
local count = select(2, s:gsub("%d+:", ""))
print(fib(27), t[1], t[#t], #s, count)
