-- An unknown status code becomes Unknown, as in Argo CD: this must fail.
return {status = "Fine"}
