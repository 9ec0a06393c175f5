-- Runs an Argo CD health script against test cases as Argo CD runs an argocd-cm script in
-- production (util/lua/lua.go, runLua with UseOpenLibs false, in gopher-lua):
--   * the base library, table, and the safe os of util/lua/oslib_safe.go (time and date only);
--     require("os") gives that os. No string, no math, no io, no debug, no package.
--   * no string methods either: gopher-lua gives strings a metatable only when the string
--     library is opened, so the string metatable is taken away while the script runs.
--   * the object is the global obj; the last value the chunk returns is the result.
--   * 1 s limit (a context deadline in Argo CD; here a count hook on CPU time).
-- Narrower than production on purpose, never wider: load, loadstring, loadfile, dofile,
-- getfenv, setfenv and module are left out, since here they would reach past the sandbox.
-- The result is read as Argo CD reads it: a table whose status is one of the known codes
-- (else Unknown, "Lua returned an invalid health status") and whose message is a string.
--
-- Usage: lua5.1 sandbox.lua SCRIPT CASES LABEL
--   CASES is a Lua file from test/health/cases.py. Prints "ok   LABEL/NAME" or
--   "FAIL LABEL/NAME: why" for each case; exits 1 when any case failed.

local format, rep = string.format, string.rep
local clock, sethook = os.clock, debug.sethook
local stderr = io.stderr

local LIMIT_SECONDS = 1
local VALID = {Unknown = true, Progressing = true, Suspended = true, Healthy = true,
               Degraded = true, Missing = true}
local BASE = {"assert", "collectgarbage", "error", "getmetatable", "ipairs", "next", "pairs",
              "pcall", "rawequal", "rawget", "rawset", "select", "setmetatable", "tonumber",
              "tostring", "type", "unpack", "xpcall"}
local TABLE = {"concat", "getn", "insert", "maxn", "remove", "sort"}

local function new_env(obj)
  local env = {}
  for _, name in ipairs(BASE) do
    env[name] = _G[name]
  end
  env.print = function(...)
    local parts = {...}
    for i = 1, select("#", ...) do
      parts[i] = tostring(parts[i])
    end
    stderr:write(table.concat(parts, "\t", 1, select("#", ...)), "\n")
  end
  env.table = {}
  for _, name in ipairs(TABLE) do
    env.table[name] = table[name]
  end
  env.os = {time = os.time, date = os.date}
  env.require = function(name)
    if name == "os" then
      return env.os
    end
    error(format("module '%s' not found", tostring(name)), 2)
  end
  env._G = env
  env.obj = obj
  return env
end

local function pack(...)
  return {n = select("#", ...), ...}
end

-- Runs the script once; returns true and the health table or false and the error.
local function run(source, obj)
  local fn, err = loadstring(source, "=health.lua")
  if not fn then
    return false, err
  end
  setfenv(fn, new_env(obj))
  local string_mt = getmetatable("")
  local start, expired = clock(), false
  debug.setmetatable("", nil)
  sethook(function()
    if expired or clock() - start > LIMIT_SECONDS then
      expired = true
      error(format("script ran past the %d s limit", LIMIT_SECONDS), 2)
    end
  end, "", 1000)
  local res = pack(pcall(fn))
  local n = res.n
  sethook()
  debug.setmetatable("", string_mt)
  if expired then
    return false, format("script ran past the %d s limit", LIMIT_SECONDS)
  end
  if not res[1] then
    return false, tostring(res[2])
  end
  local hs = res[n]
  if n < 2 or type(hs) ~= "table" then
    return false, format("expect table output from Lua script, not %s", n < 2 and "nil" or type(hs))
  end
  if hs.message ~= nil and type(hs.message) ~= "string" then
    return false, format("message is a %s, not a string", type(hs.message))
  end
  if type(hs.status) ~= "string" or not VALID[hs.status] then
    return true, {status = "Unknown", message = "Lua returned an invalid health status"}
  end
  return true, {status = hs.status, message = hs.message or ""}
end

local function main(script_path, cases_path, label)
  local f = assert(io.open(script_path, "rb"))
  local source = f:read("*a")
  f:close()
  local cases = assert(loadfile(cases_path))()
  local failed = 0
  for _, c in ipairs(cases) do
    local name = format("%s/%s", label, c.name)
    local ok, got = run(source, c.obj)
    if not ok then
      print(format("FAIL %s: %s", name, got))
      failed = failed + 1
    elseif got.status ~= c.want.status or got.message ~= c.want.message then
      print(format("FAIL %s:\n%s got  %s %q\n%s want %s %q", name, rep(" ", 4), got.status,
                   got.message, rep(" ", 4), c.want.status, c.want.message))
      failed = failed + 1
    else
      print(format("ok   %s", name))
    end
  end
  if #cases == 0 then
    print(format("FAIL %s: no tests", label))
    failed = failed + 1
  end
  os.exit(failed == 0 and 0 or 1)
end

main(arg[1], arg[2], arg[3] or arg[1])
