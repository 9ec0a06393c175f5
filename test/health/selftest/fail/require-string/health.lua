-- Only the safe os can be required: this must fail.
local s = require("string")
return {status = "Healthy"}
