-- common.lua — shared by every wrk script of bench/run.sh (and used alone for
-- /healthz): prints one machine-readable line at the end of the run.
--
--   BENCH requests=N duration_us=D rps=R p50_us=A p90_us=B p99_us=C max_us=M
--         err_connect=.. err_read=.. err_write=.. err_status=.. err_timeout=..
--
-- err_status counts responses with a status >= 400 (wrk's own rule).
function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
      "err_connect=%d err_read=%d err_write=%d err_status=%d err_timeout=%d\n",
      summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
      latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max,
      e.connect, e.read, e.write, e.status, e.timeout))
end
