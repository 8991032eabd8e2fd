-- submit.lua — POST /api/public/cases: a public petition with a contact (so
-- the party's personal data is encrypted, as in real submissions), a title
-- and a phone number that differ on every request.  The phone is
-- 13<run><thread><counter>: BENCH_RUN (one digit) keeps the warm-up's and the
-- measured run's numbers apart, so no submission looks like a repeat of an
-- earlier one by the same petitioner (that path — similarity against the
-- party's earlier cases and a repeat_of link — is not what this measures).
--
-- With BENCH_CAPTURE=FILE, every 201 response's number and query code are
-- written to FILE.<thread> ("NUMBER CODE" per line, at most BENCH_CAPTURE_MAX
-- per thread) for detail.lua.  Capturing costs wrk time, so run.sh uses it
-- only in the warm-up run, not in the measured one.
dofile((os.getenv("BENCH_LUA_DIR") or "bench") .. "/common.lua")

local counter = 0
local run = tonumber(os.getenv("BENCH_RUN") or "0") % 10
local headers = { ["Content-Type"] = "application/json" }
local next_tid = 1

function setup(thread)
   thread:set("tid", next_tid)
   next_tid = next_tid + 1
end

function request()
   counter = counter + 1
   local body = string.format(
      '{"type":"petition","category":"grievance",' ..
      '"title":"压测 %d-%d 小区电梯长期故障",' ..
      '"body":"三号楼电梯停运两个月，物业公司以维修基金未到位为由不予维修，老人上下楼十分困难。",' ..
      '"contact":{"name":"张三","phone":"13%d%d%07d"}}',
      tid or 0, counter, run, (tid or 0) % 10, counter % 10000000)
   return wrk.format("POST", "/api/public/cases", headers, body)
end

local capture = os.getenv("BENCH_CAPTURE")
if capture and capture ~= "" then
   local max = tonumber(os.getenv("BENCH_CAPTURE_MAX") or "5000")
   local n, f = 0, nil
   function response(status, headers, body)
      if status ~= 201 or n >= max then
         return
      end
      local number = body:match('"number":"([^"]+)"')
      local code = body:match('"query_code":"([^"]+)"')
      if number and code then
         f = f or io.open(capture .. "." .. tostring(tid or 0), "w")
         f:write(number, " ", code, "\n")
         f:flush()
         n = n + 1
      end
   end
end
