#!/usr/bin/env bash
# Fails, naming file:line, when a C file calls a function STYLE.md bans: sprintf and vsprintf
# (unbounded; use snprintf or core_buf_printf), strcpy and strcat (unbounded; use snprintf,
# memcpy with a length, or core_buf), strtok (hidden state; use strchr/strspn), atoi and atol
# (no error report; use strtol/strtoll with an end pointer), gets.
# Comments and the contents of string and character literals are blanked first, so a name
# in a comment or a message is not a call.
# Usage: hack/lint-banned.sh FILE...   (make lint passes every C source and header)
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 FILE..." >&2
    exit 2
fi

# Prints FILE:LINE: NAME( ... for each banned call. The awk program keeps line numbers: a
# comment or literal becomes spaces, never fewer lines.
rc=0
awk '
BEGIN {
    banned = "sprintf|vsprintf|strcpy|strcat|strtok|atoi|atol|gets"
    re = "(^|[^A-Za-z0-9_])(" banned ")[ \t]*\\("
}
FNR == 1 { in_comment = 0 }
{
    line = $0
    out = ""
    i = 1
    n = length(line)
    while (i <= n) {
        c = substr(line, i, 1)
        two = substr(line, i, 2)
        if (in_comment) {
            if (two == "*/") { in_comment = 0; out = out "  "; i += 2 } else { out = out " "; i++ }
        } else if (two == "/*") {
            in_comment = 1; out = out "  "; i += 2
        } else if (two == "//") {
            break
        } else if (c == "\"" || c == "\047") {
            q = c; out = out c; i++
            while (i <= n && substr(line, i, 1) != q) {
                if (substr(line, i, 1) == "\\") { out = out " "; i++ }
                out = out " "; i++
            }
            out = out q; i++
        } else {
            out = out c; i++
        }
    }
    while (match(out, re)) {
        name = substr(out, RSTART, RLENGTH)
        out = substr(out, RSTART + RLENGTH)
        sub(/^[^A-Za-z_]/, "", name)
        sub(/[ \t]*\($/, "", name)
        printf "%s:%d: %s() is banned (STYLE.md): %s\n", FILENAME, FNR, name, line
        found = 1
    }
}
END { exit found ? 1 : 0 }
' "$@" || rc=$?
if [ "$rc" -eq 1 ]; then
    echo "lint-banned: use snprintf or core_buf_printf, memcpy with a length, strtol; see STYLE.md" >&2
elif [ "$rc" -ne 0 ]; then
    echo "lint-banned: awk failed (exit $rc)" >&2
fi
exit "$rc"
