-- Argo CD stops a script after 1 s: this must fail.
local n = 0
while true do
  n = n + 1
end
return {status = "Healthy"}
