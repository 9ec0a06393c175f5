-- Argo CD health for DBInstance, from the conditions dbaas-operator writes. First match wins:
--   no status, or no conditions                  -> Progressing, waiting for a first status
--   status.observedGeneration (else Ready's observedGeneration) < metadata.generation
--                                                -> Progressing, waiting for that generation
--   Stalled=True                                 -> Degraded, Stalled's message (a refused
--                                                   spec or write, even while Ready=True)
--   Degraded=True                                -> Degraded, Degraded's message (a pod that
--                                                   cannot pull, crash-loops or cannot be
--                                                   scheduled; a refused resize)
--   no Ready condition                           -> Progressing, waiting for a first status
--   no Stalled condition (an older operator) and Ready=False with reason InvalidSpec or
--   UnsupportedUpgrade                           -> Degraded, Ready's message
--   Ready=False with reason Stopped              -> Suspended, Ready's message
--   Ready=True and Progressing=True              -> Progressing, Progressing's message
--   Ready=True                                   -> Healthy, Ready's message
--   anything else                                -> Progressing, Ready's message
-- A condition's message falls back to its reason when empty. Argo CD runs argocd-cm scripts
-- with the base library, table and a safe os (time, date): no string, no math, no s:find().
local function condition(conds, kind)
  for _, c in ipairs(conds) do
    if type(c) == "table" and c.type == kind then
      return c
    end
  end
  return nil
end

local function text(c)
  if c == nil then
    return ""
  end
  if c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return c.reason or ""
end

local hs = {status = "Progressing", message = "Waiting for dbaas-operator to report status"}
local st = obj.status
if st == nil or type(st.conditions) ~= "table" or st.conditions[1] == nil then
  return hs
end

local ready = condition(st.conditions, "Ready")
local progressing = condition(st.conditions, "Progressing")
local stalled = condition(st.conditions, "Stalled")
local degraded = condition(st.conditions, "Degraded")

local gen = nil
if obj.metadata ~= nil then
  gen = obj.metadata.generation
end
local seen = st.observedGeneration
if seen == nil and ready ~= nil then
  seen = ready.observedGeneration
end
if type(gen) == "number" and type(seen) == "number" and seen < gen then
  hs.message = "Waiting for dbaas-operator to act on generation " .. tostring(gen)
  return hs
end

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = text(stalled)
  return hs
end
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = text(degraded)
  return hs
end
if ready == nil then
  return hs
end
if stalled == nil and ready.status == "False" and
    (ready.reason == "InvalidSpec" or ready.reason == "UnsupportedUpgrade") then
  hs.status = "Degraded"
elseif ready.status == "False" and ready.reason == "Stopped" then
  hs.status = "Suspended"
elseif ready.status == "True" and progressing ~= nil and progressing.status == "True" then
  hs.message = text(progressing)
  return hs
elseif ready.status == "True" then
  hs.status = "Healthy"
end
hs.message = text(ready)
return hs
