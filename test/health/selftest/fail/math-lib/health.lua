-- math is not opened in argocd-cm scripts: this must fail.
return {status = "Healthy", message = "generation " .. tostring(math.floor(obj.metadata.generation))}
