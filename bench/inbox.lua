-- inbox.lua — GET /api/v1/cases?limit=50 as a handler of one unit (run.sh
-- logs in as "housing" and passes an API token in BENCH_TOKEN): that unit's
-- open cases sorted by deadline, the first page of 50.
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local token = os.getenv("BENCH_TOKEN")
if not token or token == "" then
   error("inbox.lua: BENCH_TOKEN must hold an API token")
end
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
