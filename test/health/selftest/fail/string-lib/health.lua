-- string is not opened in argocd-cm scripts: this must fail.
local c = obj.status.conditions[1]
if string.find(c.message, "accepts") then
  return {status = "Healthy", message = c.message}
end
return {status = "Progressing", message = c.message}
