-- open311.lua — GET on the Open311 endpoint (bench/open311_bench.sh).
--   BENCH_PATH   the path and query, e.g. /open311/v2/requests.json?status=open
--   BENCH_IDS    optional file of request ids, one a line: each request then
--                asks for a random one, the string {id} in BENCH_PATH
--                replaced by it
--   BENCH_GZIP   1: the requests say Accept-Encoding: gzip
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local path = os.getenv("BENCH_PATH")
if not path or path == "" then
   error("open311.lua: BENCH_PATH must hold the path to GET")
end
local ids = {}
local idfile = os.getenv("BENCH_IDS")
if idfile and idfile ~= "" then
   for line in io.lines(idfile) do
      if line ~= "" then ids[#ids + 1] = line end
   end
end
wrk.method = "GET"
if os.getenv("BENCH_GZIP") == "1" then
   wrk.headers["Accept-Encoding"] = "gzip"
end

function request()
   if #ids > 0 then
      local p = path:gsub("{id}", ids[math.random(#ids)])
      return wrk.format(nil, p)
   end
   return wrk.format(nil, path)
end
