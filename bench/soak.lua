-- SPDX-License-Identifier: BSD-2-Clause
-- wrk script of bench/soak.sh.  One connection per thread, so each
-- response answers the request sent last.  Every request carries a unique
-- marker (URL and X-Marker header); a response naming any other marker is
-- a mismatch.  Kinds: hello (200 "hello M M"), and now and then crash,
-- loop, hog (500) and onerr (203 "recovered M").
local threads = {}

function setup(thread)
	table.insert(threads, thread)
	thread:set("id", #threads)
end

local expect = { hello = 200, crash = 500, loop = 500, hog = 500, onerr = 203 }

function init(args)
	n, kind, sent = 0, "hello", ""
	count = { hello = 0, crash = 0, loop = 0, hog = 0, onerr = 0 }
	wrong_status, wrong_body, mismatch, statuses = 0, 0, 0, ""
end

local function pick(i)
	if i % 97 == 0 then return "loop" end
	if i % 113 == 0 then return "hog" end
	if i % 43 == 0 then return "onerr" end
	if i % 31 == 0 then return "crash" end
	return "hello"
end

function request()
	n = n + 1
	kind = pick(n)
	sent = "mk" .. id .. "x" .. n
	return wrk.format("GET", "/" .. kind .. "/" .. sent, { ["X-Marker"] = sent })
end

-- count: responses of each kind with the expected status and body.
function response(status, headers, body)
	for m in body:gmatch("mk%d+x%d+") do
		if m ~= sent then mismatch = mismatch + 1 end
	end
	if status ~= expect[kind] then
		wrong_status = wrong_status + 1
		if #statuses < 200 then statuses = statuses .. " " .. kind .. ":" .. status end
	elseif kind == "hello" and body ~= "hello " .. sent .. " " .. sent then
		wrong_body = wrong_body + 1
	elseif kind == "onerr" and body ~= "recovered " .. sent then
		wrong_body = wrong_body + 1
	else
		count[kind] = count[kind] + 1
	end
end

function done(summary, latency, requests)
	local t = { hello = 0, crash = 0, loop = 0, hog = 0, onerr = 0,
		wrong_status = 0, wrong_body = 0, mismatch = 0 }
	local codes = ""
	for _, th in ipairs(threads) do
		local c = th:get("count")
		for k, _ in pairs(expect) do t[k] = t[k] + c[k] end
		t.wrong_status = t.wrong_status + th:get("wrong_status")
		t.wrong_body = t.wrong_body + th:get("wrong_body")
		t.mismatch = t.mismatch + th:get("mismatch")
		codes = codes .. th:get("statuses")
	end
	local e = summary.errors
	for k, v in pairs(t) do print("SOAK " .. k .. " " .. v) end
	print("SOAK socket_errors " .. (e.connect + e.read + e.write + e.timeout))
	print("SOAK requests " .. summary.requests)
	print("SOAK wrong_statuses" .. codes)
end
