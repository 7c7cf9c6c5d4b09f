-- Complete code flows for a user who is already signed in (consent skip),
-- driven by wrk: GET /authorize with the session cookie -> 303 to
-- REDIRECT_URI?code=... -> POST /token with the code and the PKCE verifier.
-- Each wrk thread keeps the codes its authorize responses returned and
-- redeems them on its next requests, so every flow is two requests on the
-- wire. A flow counts when its token response is 200 with an access_token.
-- Environment: FLOW_COOKIE (the signed-in session cookie, NAME=VALUE),
--   CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, FLOW_SCOPE (openid).
-- Prints: WRK rps=<flows/s> p50_ms=.. p99_ms=.. (latency per request) requests=<flows> ...
local b64chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
local function base64(data)
  return ((data:gsub('.', function(x)
    local r, b = '', x:byte()
    for i = 8, 1, -1 do r = r .. (b % 2 ^ i - b % 2 ^ (i - 1) > 0 and '1' or '0') end
    return r
  end) .. '0000'):gsub('%d%d%d?%d?%d?%d?', function(x)
    if #x < 6 then return '' end
    local c = 0
    for i = 1, 6 do c = c + (x:sub(i, i) == '1' and 2 ^ (6 - i) or 0) end
    return b64chars:sub(c + 1, c + 1)
  end) .. ({ '', '==', '=' })[#data % 3 + 1])
end
local function enc(s)
  return (s:gsub('[^%w%-%._~]', function(c) return string.format('%%%02X', c:byte()) end))
end

local cookie = os.getenv('FLOW_COOKIE')
local client_id, secret = os.getenv('CLIENT_ID'), os.getenv('CLIENT_SECRET')
local redirect = os.getenv('REDIRECT_URI')
local scope = os.getenv('FLOW_SCOPE') or 'openid'
-- RFC 7636 Appendix B: a fixed verifier and its S256 challenge.
local verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk'
local challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
local basic = 'Basic ' .. base64(enc(client_id) .. ':' .. enc(secret))

local threads = {}
function setup(thread) table.insert(threads, thread) end

function init(args)
  codes, flows, bad, first_bad, n = {}, 0, 0, nil, 0
end

function request()
  local code = table.remove(codes)
  if code then
    return wrk.format('POST', '/token', {
      ['Authorization'] = basic,
      ['Content-Type'] = 'application/x-www-form-urlencoded',
    }, 'grant_type=authorization_code&code=' .. enc(code) .. '&redirect_uri=' .. enc(redirect)
      .. '&code_verifier=' .. verifier)
  end
  n = n + 1
  return wrk.format('GET', '/authorize?response_type=code&client_id=' .. enc(client_id)
    .. '&redirect_uri=' .. enc(redirect) .. '&scope=' .. enc(scope) .. '&state=s' .. n
    .. '&nonce=n' .. n .. '&code_challenge=' .. challenge .. '&code_challenge_method=S256',
    { ['Cookie'] = cookie })
end

local function fail(what)
  bad = bad + 1
  if not first_bad then first_bad = what end
end

function response(status, headers, body)
  local loc = headers['location'] or headers['Location']
  if loc then
    local code = loc:match('[?&]code=([^&]+)')
    if status == 303 and code and loc:sub(1, #redirect) == redirect then
      table.insert(codes, (code:gsub('%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end)))
    else
      fail('authorize ' .. status .. ' ' .. loc:sub(1, 120))
    end
  elseif status == 200 and body and body:find('"access_token"', 1, true) then
    flows = flows + 1
  else
    fail('token ' .. status .. ' ' .. (body or ''):sub(1, 160))
  end
end

function done(summary, latency, requests)
  local f, b, sample = 0, 0, nil
  for _, t in ipairs(threads) do
    f = f + (t:get('flows') or 0)
    b = b + (t:get('bad') or 0)
    sample = sample or t:get('first_bad')
  end
  local e = summary.errors
  local sock = e.connect + e.read + e.write + e.timeout
  local secs = summary.duration / 1e6
  io.write(string.format('WRK rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d errors=%d non200=%d socket_errors=%d secs=%.2f\n',
    f / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000, f, b + sock, b, sock, secs))
  if sample then io.write('WRK_FIRST_ERROR ' .. sample:gsub('[\r\n]', ' ') .. '\n') end
end
