"""The collections an operator's informers listed, from its debug log (one JSON object a line,
message "api request"): each GET with a limit and no watch that was answered 200 (a resource
whose CRD is not installed answers 404), without its limit and continue, once, in the order
first seen. For `make bench`'s plain list (bench-dbi list)."""
import json
import re
import sys

seen = []
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    path = d.get("path", "")
    if (d.get("msg") != "api request" or d.get("verb") != "GET" or d.get("code") != "200"
            or "limit=" not in path or "watch=" in path):
        continue
    base, _, query = path.partition("?")
    kept = [q for q in query.split("&") if q and not re.match(r"(limit|continue)=", q)]
    path = base + ("?" + "&".join(kept) if kept else "")
    if path not in seen:
        seen.append(path)
print("\n".join(seen))
