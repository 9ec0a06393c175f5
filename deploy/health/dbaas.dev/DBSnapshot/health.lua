-- Argo CD health for DBSnapshot, from the conditions dbaas-operator writes. First match wins:
--   no status, or no conditions                  -> Progressing, waiting for a first status
--   status.observedGeneration < metadata.generation
--                                                -> Progressing, waiting for that generation
--   Stalled=True                                 -> Degraded, Stalled's message (a refused
--                                                   spec, the instance not found or being
--                                                   deleted, no VolumeSnapshot CRD)
--   Degraded=True                                -> Degraded, Degraded's message (the CSI
--                                                   snapshot failed, no snapshot class)
--   Ready=True                                   -> Healthy, Ready's message (readyToUse)
--   anything else                                -> Progressing, Ready's message (waiting
--                                                   for the volume or the CSI driver)
-- A snapshot is written once and never changes, so there is no Suspended. A condition's
-- message falls back to its reason when empty. Argo CD runs argocd-cm scripts with the base
-- library, table and a safe os (time, date): no string, no math, no s:find().
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
local stalled = condition(st.conditions, "Stalled")
local degraded = condition(st.conditions, "Degraded")

local gen = nil
if obj.metadata ~= nil then
  gen = obj.metadata.generation
end
if type(gen) == "number" and type(st.observedGeneration) == "number" and st.observedGeneration < gen then
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
if ready.status == "True" then
  hs.status = "Healthy"
end
hs.message = text(ready)
return hs
