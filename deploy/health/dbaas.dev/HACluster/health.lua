-- Argo CD health for HACluster, from the conditions dbaas-operator writes. First match wins:
--   no status, or no conditions                  -> Progressing, waiting for a first status
--   status.observedGeneration < metadata.generation
--                                                -> Progressing, waiting for that generation
--   Stalled=True                                 -> Degraded, Stalled's message (a refused
--                                                   spec: a downgrade, an owned parameter)
--   Degraded=True with reason ReplicasNotReady while Ready=True
--                                                -> Progressing, Degraded's message (the
--                                                   primary serves; Patroni brings replicas
--                                                   back, one by one in a rolling update)
--   Degraded=True                                -> Degraded, Degraded's message (Zalando
--                                                   refused or failed the cluster, a major
--                                                   upgrade failed or was skipped)
--   no Ready condition                           -> Progressing, waiting for a first status
--   Ready=True and Progressing=True              -> Progressing, Progressing's message
--   Ready=True                                   -> Healthy, Ready's message
--   anything else                                -> Progressing, Ready's message (no primary
--                                                   yet, waiting for Zalando or a Secret)
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
  if degraded.reason ~= "ReplicasNotReady" or ready == nil or ready.status ~= "True" then
    hs.status = "Degraded"
  end
  hs.message = text(degraded)
  return hs
end
if ready == nil then
  return hs
end
if ready.status == "True" and progressing ~= nil and progressing.status == "True" then
  hs.message = text(progressing)
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
end
hs.message = text(ready)
return hs
