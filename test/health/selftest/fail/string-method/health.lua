-- Without the string library strings have no methods either: this must fail.
return {status = "Healthy", message = obj.status.conditions[1].message:upper()}
