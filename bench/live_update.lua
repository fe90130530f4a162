-- wrk script of bench/live_update.sh.  Every request increments the
-- counter a program keeps in its storage VM; the body is "v=V n=N u=U".
-- One connection per thread, so on a connection N must grow with every
-- response: a counter that went back (state lost in a live update) or
-- stood still is a violation.  Counts 200s, other statuses, bad bodies.
-- Every N goes to DIR/n.<thread> (DIR after "--"): the script checks
-- that no N was handed out twice (an increment lost in a switch would
-- make the new program hand it out again).
local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("id", #threads)
end

function init(args)
	ok, wrong_status, wrong_body, backwards, last_n = 0, 0, 0, 0, -1
	statuses = ""
	out = io.open(args[1] .. "/n." .. id, "w")
end

function response(status, headers, body)
	if status ~= 200 then
		wrong_status = wrong_status + 1
		if #statuses < 200 then statuses = statuses .. " " .. status end
		return
	end
	local v, n = body:match("^v=(%d+) n=(%d+) u=%d+$")
	if v == nil then
		wrong_body = wrong_body + 1
		return
	end
	n = tonumber(n)
	if n <= last_n then backwards = backwards + 1 end
	last_n = n
	out:write(n, "\n")
	ok = ok + 1
end

function done(summary, latency, requests)
	local t = { ok = 0, wrong_status = 0, wrong_body = 0, backwards = 0 }
	local codes = ""
	for _, th in ipairs(threads) do
		for k, _ in pairs(t) do t[k] = t[k] + th:get(k) end
		codes = codes .. th:get("statuses")
	end
	local e = summary.errors
	for k, v in pairs(t) do print("LIVE " .. k .. " " .. v) end
	print("LIVE socket_errors " .. (e.connect + e.read + e.write + e.timeout))
	print("LIVE requests " .. summary.requests)
	print("LIVE statuses" .. codes)
end
