-- Appended by bench/run.sh to the script of a measurement taken in slices: at the end of a slice,
-- writes its latency distribution to $WRK_LATENCY_GRID as "<quantile> <microseconds>" on a 0.1%
-- grid, after a "requests <n>" line, so that the slices' distributions can be merged by weight.
function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("WRK_LATENCY_GRID"), "w"))
  out:write(string.format("requests %d\n", summary.requests))
  for i = 1, 999 do
    out:write(string.format("%.3f %d\n", i / 1000, latency:percentile(i / 10)))
  end
  out:write(string.format("1.000 %d\n", latency.max))  -- percentile(100) answers 0 in wrk 4.1
  out:close()
end
