#!/bin/bash
# A codec in plain bash, speaking the contract directly (no SDK, no Python):
# the bitstream is the .npy file compressed with gzip -9, so shape and dtype
# travel inside it. Replace the two commands in `handle` with your own tools.
#   codec.sh encode|decode   ->  {"ready": true}
#   {"id": "...", "input": "...", "output": "..."}  ->  {"id": "...", "ok": true}
set -u
mode="${1:-}"
case "$mode" in
  encode|decode) ;;
  *) echo "usage: codec.sh encode|decode" >&2; exit 2 ;;
esac

field() {  # field NAME: the plain string value of "NAME" in $line
  local re="\"$1\"[[:space:]]*:[[:space:]]*\"([^\"\\\\]*)\""
  [[ $line =~ $re ]] && printf '%s' "${BASH_REMATCH[1]}"
}

handle() {  # handle INPUT OUTPUT
  if [[ $mode == encode ]]; then
    gzip -9 -n -c -- "$1" > "$2"
  else
    gzip -d -c -- "$1" > "$2"
  fi
}

echo '{"ready": true, "name": "{{name}}", "version": "0.1.0"}'
while IFS= read -r line; do
  [[ -z $line ]] && continue
  id=$(field id) || { echo '{"id": null, "ok": false, "error": "request without a plain id"}'; continue; }
  input=$(field input) && output=$(field output) || {
    echo "{\"id\": \"$id\", \"ok\": false, \"error\": \"request without input/output\"}"; continue; }
  if handle "$input" "$output"; then
    echo "{\"id\": \"$id\", \"ok\": true}"
  else
    echo "$mode $id failed" >&2
    echo "{\"id\": \"$id\", \"ok\": false, \"error\": \"$mode failed\"}"
  fi
done
exit 0
