-- Glassbox master passdb for Dovecot 2.3 (dovecot-auth-lua, Lua 5.4, lua-cjson).
--
-- A support agent logs in to a mailbox as `mailbox*agent` (auth_master_user_separator = *)
-- with the per-grant IMAP credential (gbg_...) Glassbox showed them. Dovecot hands the
-- login to this master passdb: the agent is `req.user`, the mailbox `req.login_user`.
-- The script asks Glassbox (POST /api/v1/imap/login, service token) and lets the login
-- through only on an explicit "allow". Everything else fails closed: a deny shows its
-- reason to the client, and an unreachable, slow, erroring or confused Glassbox refuses
-- the login with [UNAVAILABLE]. The owner's own login never reaches this passdb.
--
-- Settings: Dovecot 2.3 passes no arguments to a Lua passdb, so the script reads
-- `glassbox.settings` next to itself (key = value lines):
--   url = https://glassbox.example.net        Glassbox's base URL (required)
--   token_file = /etc/dovecot/glassbox/token  file holding the service token (gbx_...), root-only
--   timeout_msecs = 2000                      how long one consent call may take
--   config = /etc/dovecot/dovecot.conf        the configuration doveconf reads (cache check)
--
-- The script refuses every staff login when Dovecot's auth cache is on: a cached answer
-- would let a login through after a revoke, or into another mailbox, without asking.

local json = require("cjson")

local settings = nil
local refuse_all = nil
local client = nil

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function read_token(path)
  local f, err = io.open(path, "r")
  if f == nil then
    return nil, "cannot read the service token file " .. path .. ": " .. tostring(err)
  end
  local token = trim(f:read("a") or "")
  f:close()
  if token:sub(1, 4) ~= "gbx_" then
    return nil, "the service token file " .. path .. " does not hold a gbx_ token"
  end
  return token, nil
end

-- The auth cache must be off (auth_cache_size = 0).
local function cache_problem(config)
  -- Named in full (Dovecot clears PATH), and with an empty environment: doveconf must not
  -- take the auth worker's inherited sockets for its own.
  local cmd = "/usr/bin/env -i /usr/bin/doveconf -h auth_cache_size"
  if config ~= nil and config ~= "" then
    cmd = "/usr/bin/env -i /usr/bin/doveconf -c '" .. config:gsub("'", "") .. "' -h auth_cache_size"
  end
  local p = io.popen(cmd .. " 2>&1")
  if p == nil then
    return "cannot run doveconf to check auth_cache_size"
  end
  local out = trim(p:read("a") or "")
  p:close()
  if out ~= "0" then
    return "auth_cache_size is '" .. out .. "'; Glassbox refuses staff logins unless it is 0"
  end
  return nil
end

local function read_settings()
  local source = debug.getinfo(1, "S").source:gsub("^@", "")
  local path = (source:match("^(.*)/[^/]*$") or ".") .. "/glassbox.settings"
  local f, err = io.open(path, "r")
  if f == nil then
    return nil, "cannot read " .. path .. ": " .. tostring(err)
  end
  local args = {}
  for line in f:lines() do
    local k, v = line:match("^%s*([%w_]+)%s*=%s*(.-)%s*$")
    if k ~= nil and line:sub(1, 1) ~= "#" then
      args[k] = v
    end
  end
  f:close()
  return args, nil
end

local function setup()
  if settings ~= nil or refuse_all ~= nil then
    return
  end
  local args, err = read_settings()
  if args == nil then
    refuse_all = err
    return
  end
  local url = args["url"]
  if url == nil or url == "" then
    refuse_all = "the passdb args lack url="
    return
  end
  local token
  token, err = read_token(args["token_file"] or "/etc/dovecot/glassbox/token")
  if token == nil then
    refuse_all = err
    return
  end
  local problem = cache_problem(args["config"])
  if problem ~= nil then
    refuse_all = problem
    return
  end
  local timeout = tonumber(args["timeout_msecs"] or "2000") or 2000
  settings = { url = url:gsub("/+$", "") .. "/api/v1/imap/login", token = token }
  client = dovecot.http.client({
    timeout_msecs = timeout,
    request_timeout_msecs = timeout,
    max_attempts = 1,
    user_agent = "glassbox-dovecot/1",
  })
end

-- Settings are read at the first staff login, in the auth worker (root), which is the
-- process that can read the root-only token file; the auth master process loads this
-- script too but never verifies a password with it.
function script_init()
  return 0
end

local function refused(req, reason)
  return dovecot.auth.PASSDB_RESULT_OK, { nologin = "y", reason = reason }
end

function auth_password_verify(req, password)
  setup()
  if refuse_all ~= nil or settings == nil then
    req:log_error("glassbox: staff login refused: " .. tostring(refuse_all))
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "Glassbox integration misconfigured"
  end
  local mailbox = req.login_user
  if mailbox == nil or mailbox == "" then
    -- Not a mailbox*agent login: this passdb has nothing to say.
    return dovecot.auth.PASSDB_RESULT_USER_UNKNOWN, ""
  end
  local body = json.encode({
    mailbox = mailbox,
    agent = req.user,
    secret = password,
    client_ip = req.remote_ip or "",
    session = req.session or "",
  })
  local request = client:request({ url = settings.url, method = "POST" })
  request:add_header("Authorization", "Bearer " .. settings.token)
  request:add_header("Content-Type", "application/json")
  request:set_payload(body)
  local response = request:submit()
  local status = response:status()
  if status == 404 then
    -- Glassbox knows no such mailbox or staff handle: nothing to consent to.
    req:log_info("glassbox: staff login refused: unknown mailbox or staff handle")
    return refused(req, "Refused: unknown mailbox or staff handle")
  end
  if status ~= 200 then
    req:log_warning("glassbox: consent call answered HTTP " .. tostring(status) .. "; login refused")
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "Glassbox unavailable"
  end
  local ok, answer = pcall(json.decode, response:payload())
  if not ok or type(answer) ~= "table" then
    req:log_warning("glassbox: consent call answered something that is not JSON; login refused")
    return dovecot.auth.PASSDB_RESULT_INTERNAL_FAILURE, "Glassbox unavailable"
  end
  if answer["decision"] == "allow" then
    req:log_info("glassbox: staff login allowed (event " .. tostring(answer["event_id"]) .. ")")
    return dovecot.auth.PASSDB_RESULT_OK, {}
  end
  local reason = tostring(answer["reason"] or "Refused by Glassbox")
  req:log_info("glassbox: staff login refused: " .. reason)
  return refused(req, reason)
end

function auth_passdb_lookup(req)
  -- Only plaintext logins carry the credential Glassbox checks.
  return dovecot.auth.PASSDB_RESULT_SCHEME_NOT_AVAILABLE, "Glassbox needs a plaintext login (PLAIN or LOGIN)"
end
