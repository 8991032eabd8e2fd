-- detail.lua — GET /api/public/cases/{number}?code=… over the number + code
-- pairs in BENCH_PAIRS ("NUMBER CODE" per line, captured from submissions by
-- submit.lua), round robin, each thread starting at its own offset.
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local next_tid = 1
function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

local reqs, i = {}, 0

function init(args)
   local path = os.getenv("BENCH_PAIRS")
   local f = path and io.open(path, "r")
   if not f then
      error("detail.lua: BENCH_PAIRS must name the file of number/code pairs")
   end
   for line in f:lines() do
      local number, code = line:match("^(%S+)%s+(%S+)$")
      if number then
         reqs[#reqs + 1] = wrk.format("GET", "/api/public/cases/" .. number .. "?code=" .. code)
      end
   end
   f:close()
   if #reqs == 0 then
      error("detail.lua: no pairs in " .. path)
   end
   i = ((tid or 1) * 7919) % #reqs
end

function request()
   i = i % #reqs + 1
   return reqs[i]
end
