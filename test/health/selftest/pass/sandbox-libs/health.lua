-- What argocd-cm scripts may use: base functions, table, the safe os and require("os").
local names = {}
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" or c.type == "Progressing" or c.type == "Degraded" then
    table.insert(names, c.type)
  end
end
table.sort(names)
local os2 = require("os")
local now = os2.time()
local year = os.date("*t", now).year
local ok = pcall(function() error("caught") end)
local sane = type(now) == "number" and year >= 2024 and os.date("!%Y", 0) == "1970" and not ok
return {status = "Healthy", message = table.concat(names, ",") .. " " .. tostring(obj.metadata.generation) ..
  " " .. tostring(select("#", unpack({1, 2}))) .. " " .. tostring(sane)}
