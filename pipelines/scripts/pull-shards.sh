#!/usr/bin/env bash
# Pulls the N shards of a sharded export (<PREFIX>-shard-I-of-N, I = 1..N, as the promotion
# templates push them with `shards` > 1), each checked against its own manifest on the way, and
# merges them into one export (`docferry manifest merge`: it refuses a missing, duplicated or
# re-split shard). Shared by the Azure DevOps templates and the GitHub workflows; authenticates
# through the Azure CLI login the step left (AzureCLI@2 with a service connection, or azure/login).
#
# Environment:
#   DOCFERRY_ROOT   the docferry checkout (npm ci done: the CLI runs with its node_modules)
#   SHARDS          N, the number of shards (a whole number from 1)
#   CONTAINER_URL   the archive container
#   PREFIX          the sharded export's name, without -shard-I-of-N (required: "the newest
#                   complete export" names one archived export, not a set of shards)
#   SHARDS_DIR      where the shards are pulled to (removed after the merge)
#   EXPORT_DIR      the merged export (must not exist or be empty)
# Outputs (a step output on GitHub, an output variable on Azure DevOps): exportDir, archivePrefix,
# documents (the merged export's document count).
set -euo pipefail

fail() { echo "pull-shards.sh: $*" >&2; exit 2; }
[[ "${SHARDS:-}" =~ ^[1-9][0-9]*$ ]] || fail "SHARDS is '${SHARDS:-}': give a whole number from 1 up."
[ -n "${PREFIX:-}" ] || fail "PREFIX is empty: name the sharded export to pull (its archive prefix without -shard-I-of-N)."
for v in DOCFERRY_ROOT CONTAINER_URL SHARDS_DIR EXPORT_DIR; do
  [ -n "${!v:-}" ] || fail "$v is empty."
done

output() { # name value
  echo "$1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
  if [ "${TF_BUILD:-}" = True ]; then echo "##vso[task.setvariable variable=$1;isOutput=true]$2"; fi
}

cd "$DOCFERRY_ROOT"
dirs=()
for i in $(seq 1 "$SHARDS"); do
  node --import tsx src/cli/main.ts archive pull --container-url "$CONTAINER_URL" \
    --prefix "$PREFIX-shard-$i-of-$SHARDS" --dest-dir "$SHARDS_DIR/$i"
  dirs+=("$SHARDS_DIR/$i")
done
node --import tsx src/cli/main.ts manifest merge "${dirs[@]}" --out "$EXPORT_DIR"
rm -rf "$SHARDS_DIR"
output exportDir "$EXPORT_DIR"
output archivePrefix "$PREFIX-shard-*-of-$SHARDS"
output documents "$(node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  console.log(Object.values(m.document_counts ?? {}).filter((n) => n > 0).reduce((a, b) => a + b, 0));
' "$EXPORT_DIR/manifest.json")"
