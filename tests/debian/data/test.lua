-- Lua 5.4 on vx: the language, its libraries, and file I/O in the working
-- directory. Output must match the reference run's exactly.
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print("fib(24)", fib(24))

local words = {}
for w in ("the quick brown fox jumps over the lazy dog"):gmatch("%a+") do words[#words + 1] = w end
table.sort(words)
print(table.concat(words, ","))
print(string.format("%5.2f %e %g %x %q", math.pi, 6.02214076e23, 1/3, 255, "tab\there"))
print(7 // 2, 7 % -3, 2^10, 10 / 4, math.maxinteger, math.mininteger, 3 | 5, 6 ~ 3)
print(math.floor(-3.5), math.ceil(-3.5), math.fmod(7, 3), math.tointeger(4.0), math.sqrt(2))
print(tostring(0/0) == tostring(0/0), 1/0, -1/0)

local co = coroutine.wrap(function(a)
    local b = coroutine.yield(a * 2)
    local c = coroutine.yield(a + b)
    return c * 10
end)
print("coroutine", co(5), co(7), co(3))

local ok, err = pcall(function() error({code = 42}) end)
print("pcall", ok, type(err), err.code)
print("xpcall", xpcall(function() return nil + 1 end, function(m) return "handled: " .. m:match("attempt.*") end))

local mt = {__index = function(t, k) return k .. "!" end, __add = function(a, b) return "added" end}
local obj = setmetatable({}, mt)
print("metatables", obj.hello, obj + obj)

print("pack", string.unpack("<i4", string.pack("<i4", -2)), #string.pack("z", "abc"))
print("utf8", utf8.char(72, 228, 8364, 128512), utf8.len("häl€"))
print("date", os.date("!%Y-%m-%d %H:%M:%S", 1234567890), os.time({year = 2020, month = 1, day = 1, hour = 12}))

local f = assert(io.open("out.txt", "w"))
for i = 1, 1000 do f:write(i, " ", i * i, "\n") end
f:close()
local sum, lines = 0, 0
for line in io.lines("out.txt") do
    local a, b = line:match("(%d+) (%d+)")
    sum, lines = sum + tonumber(b), lines + 1
end
print("file", lines, sum)
print("remove", os.remove("missing.txt"))
print("rename", os.rename("out.txt", "squares.txt"))

local t = {}
for i = 1, 200000 do t[i] = (i * 7919) % 100003 end
table.sort(t)
print("sorted", t[1], t[100000], t[200000])
local s = {}
for i = 1, 10000 do s[#s + 1] = string.char(65 + i % 26) end
local big = table.concat(s)
print("gsub", select(2, big:gsub("ABC", "")), #big:rep(10))
collectgarbage()
print("gc", collectgarbage("count") > 0)
os.exit(3)
