-- wrk script for bench/run.
--
--   wrk -s bench/wrk.lua <url> -- <token file or "-"> [label]
--
-- The token file holds one token per line; requests rotate through them, each sent as
-- "Authorization: Bearer <token>". A line with a space in it (a token never has one) is the
-- whole header value ("Basic ..." for the auth_basic rows). With "-" the request carries no
-- Authorization header.
-- Requests are formatted once in init(), so rotating costs wrk almost nothing per request.
--
-- With BENCH_STOP_AFTER=N in the environment, the thread stops after N responses (for the
-- memory run, which needs exact request counts; use one thread).
--
-- With BENCH_REPEAT=N, each token is sent N times in a row before the next (the realistic
-- mix: a client presents its token for several requests). With several threads (-t), each
-- thread starts at its own place in the file, so that they do not send the same tokens at
-- the same time.
--
-- done() prints one machine-readable line that bench/run parses:
--   BENCH requests=... duration_us=... p50_us=... p99_us=... non2xx=... socket_errors=...

local requests = {}
local next_request = 0
local repeat_each = tonumber(os.getenv("BENCH_REPEAT") or "") or 1
local sent = 0

local threads_set_up = 0
function setup(thread)
   thread:set("thread_index", threads_set_up)
   threads_set_up = threads_set_up + 1
end

function init(args)
   local file = args[1]
   if file and file ~= "-" then
      for line in io.lines(file) do
         if #line > 0 then
            local value = line:find(" ", 1, true) and line or ("Bearer " .. line)
            requests[#requests + 1] = wrk.format(nil, nil, { ["Authorization"] = value })
         end
      end
   end
   if #requests == 0 then
      requests[1] = wrk.format()
   end
   -- thread_index is a global set by setup() in this thread's own Lua state.
   next_request = ((thread_index or 0) * 997) % #requests
end

function request()
   if sent % repeat_each == 0 then
      next_request = next_request % #requests + 1
   end
   sent = sent + 1
   return requests[next_request]
end

local stop_after = tonumber(os.getenv("BENCH_STOP_AFTER") or "")
if stop_after then
   local seen = 0
   function response(status, headers, body)
      seen = seen + 1
      if seen == stop_after then
         wrk.thread:stop()
         -- wrk's main thread sleeps for the whole -d duration; SIGINT (which Linux delivers
         -- to the main thread first) ends that sleep, and wrk reports as usual. Not
         -- os.execute: system() ignores SIGINT in the caller while it runs.
         local kill = io.popen("kill -INT $PPID")
         kill:close()
      end
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.status, e.connect + e.read + e.write + e.timeout))
end
