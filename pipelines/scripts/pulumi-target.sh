#!/usr/bin/env bash
# The management-plane stages of the release flows, shared by the Azure DevOps templates and the
# GitHub workflows. Runs pulumi/target; authenticates through the Azure CLI login the pipeline
# step left (AzureCLI@2 with a service connection, or azure/login).
#
#   pulumi-target.sh up         create or update the target's databases and containers (promotion)
#   pulumi-target.sh check      fail unless the target already matches the layout (promotion)
#   pulumi-target.sh ephemeral  a throw-away account with the containers (DR drill)
#   pulumi-target.sh teardown   destroy a stack made by `ephemeral`, and refuse any other
#
# Environment:
#   DOCFERRY_ROOT            the docferry checkout (npm ci done: the program uses its node_modules)
#   PULUMI_STACK             stack name (required)
#   PULUMI_BACKEND_URL       e.g. azblob://state?storage_account=x; empty: Pulumi Cloud
#   PULUMI_ACCESS_TOKEN, PULUMI_CONFIG_PASSPHRASE   secrets, from secret variables / secrets only
#   AZURE_SUBSCRIPTION_ID    default: the subscription of the Azure CLI login
#   RESOURCE_GROUP, ACCOUNT_NAME   the account (ACCOUNT_NAME optional for `ephemeral`: auto-named)
#   LAYOUT_FILE              absolute path; empty: the layout in $EXPORT_DIR/manifest.json, else the default
#   EXPORT_DIR               a pulled export (ephemeral: provision exactly what was exported)
#   LOCATION, PUBLIC_NETWORK_ACCESS, IP_RULES (comma-separated)   ephemeral account only
#   CONTRIBUTOR_PRINCIPAL_ID the importing identity's object id; empty: the logged-in identity's
#   DOCFERRY_OUTPUTS         optional file that also receives the `endpoint=`, `accountName=`, `layoutFile=` lines
set -euo pipefail

command="${1:-}"
fail() { echo "pulumi-target.sh $command: $*" >&2; exit 2; }

[ -n "${PULUMI_STACK:-}" ] || fail "PULUMI_STACK is empty: name the Pulumi stack of the target."
[ -n "${DOCFERRY_ROOT:-}" ] || fail "DOCFERRY_ROOT is empty: point it at the docferry checkout."
cd "$DOCFERRY_ROOT/pulumi/target"

# A secret variable that does not exist reaches a script as its own macro text, "$(NAME)".
for v in PULUMI_ACCESS_TOKEN PULUMI_CONFIG_PASSPHRASE; do
  case "${!v:-}" in '$('*|'') unset "$v" ;; esac
done
export PULUMI_SKIP_UPDATE_CHECK=true
if [ -n "${PULUMI_BACKEND_URL:-}" ]; then pulumi login --non-interactive "$PULUMI_BACKEND_URL" >/dev/null; else pulumi login --non-interactive >/dev/null; fi
ARM_SUBSCRIPTION_ID="${AZURE_SUBSCRIPTION_ID:-}"
[ -n "$ARM_SUBSCRIPTION_ID" ] || ARM_SUBSCRIPTION_ID="$(az account show --query id -o tsv)"
export ARM_SUBSCRIPTION_ID

# A value for the steps that follow: a step output on GitHub (steps.<id>.outputs.<name>), an
# output variable on Azure DevOps ($(<step name>.<name>)), a line in $DOCFERRY_OUTPUTS if set.
output() { # name value
  echo "$1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
  if [ "${TF_BUILD:-}" = True ]; then echo "##vso[task.setvariable variable=$1;isOutput=true]$2"; fi
  if [ -n "${DOCFERRY_OUTPUTS:-}" ]; then echo "$1=$2" >>"$DOCFERRY_OUTPUTS"; fi
}

# LAYOUT_FILE; else the layout the export in EXPORT_DIR was made with (its manifest records it:
# provision exactly that); else docferry's default layout. The import and verify use the same file.
layout_file() {
  if [ -n "${LAYOUT_FILE:-}" ]; then echo "$LAYOUT_FILE"; return; fi
  if [ -n "${EXPORT_DIR:-}" ] && [ -f "$EXPORT_DIR/manifest.json" ]; then
    local out="${RUNNER_TEMP:-${AGENT_TEMPDIRECTORY:-/tmp}}/docferry-layout-$PULUMI_STACK.json"
    if node -e '
      const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      if (!m.layout || !m.layout.document) process.exit(3);
      require("fs").writeFileSync(process.argv[2], JSON.stringify(m.layout.document, null, 2));
    ' "$EXPORT_DIR/manifest.json" "$out"; then echo "$out"; return; fi
  fi
  echo "$DOCFERRY_ROOT/layouts/default.json"
}

set_common_config() {
  pulumi config set docferry-target:resourceGroupName "$RESOURCE_GROUP"
  if [ -n "${ACCOUNT_NAME:-}" ]; then pulumi config set docferry-target:accountName "$ACCOUNT_NAME"; fi
  local layout
  layout="$(layout_file)"
  echo "Layout: $layout"
  pulumi config set docferry-target:layoutFile "$layout"
  output layoutFile "$layout"
}

# The object id of the logged-in identity, read from its own access token (no Graph permission needed).
logged_in_principal() {
  az account get-access-token --query accessToken -o tsv | node -e '
    let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => {
      const claims = JSON.parse(Buffer.from(t.trim().split(".")[1], "base64url").toString("utf8"));
      if (!claims.oid) { console.error("The access token carries no oid claim."); process.exit(1); }
      console.log(claims.oid);
    });'
}

# Data-plane role assignments can take a few minutes to apply; wait until the account accepts
# the identity's token so the import does not fail with 403 on a fresh account.
wait_for_data_plane() { # endpoint
  local endpoint="${1%/}" headers code i
  headers="$(mktemp)"; chmod 600 "$headers"
  trap 'rm -f "$headers"' RETURN
  for i in $(seq 1 30); do
    az account get-access-token --resource https://cosmos.azure.com --query accessToken -o tsv | node -e '
      let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => {
        process.stdout.write("Authorization: " + encodeURIComponent("type=aad&ver=1.0&sig=" + t.trim()) + "\n");
      });' >"$headers"
    code="$(curl -s -o /dev/null -w '%{http_code}' -H @"$headers" -H "x-ms-version: 2018-12-31" \
      -H "x-ms-date: $(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S GMT')" "$endpoint/dbs" || true)"
    if [ "$code" = 200 ]; then echo "The data plane accepts the identity."; return 0; fi
    echo "Data plane answered $code; waiting for the role assignment ($i/30)"
    sleep 10
  done
  echo "The account at $endpoint still refuses the identity after 5 minutes (last status $code)." >&2
  return 1
}

case "$command" in
  up|check)
    [ -n "${RESOURCE_GROUP:-}" ] || fail "RESOURCE_GROUP is empty."
    [ -n "${ACCOUNT_NAME:-}" ] || fail "ACCOUNT_NAME is empty: name the target account."
    if [ "$command" = up ]; then
      pulumi stack select --create "$PULUMI_STACK"
    else
      pulumi stack select "$PULUMI_STACK" || fail "stack $PULUMI_STACK does not exist: provision the target first (targetContainers: create)."
    fi
    # Keep what earlier deployments configured (role assignments, protect) on a fresh agent.
    pulumi config refresh --force >/dev/null 2>&1 || true
    set_common_config
    if [ "$command" = up ]; then
      pulumi up --yes --skip-preview --non-interactive
    else
      # Fails when anything would change: a missing container or another partition key.
      pulumi preview --expect-no-changes --non-interactive
    fi
    output endpoint "$(pulumi stack output endpoint)"
    output accountName "$(pulumi stack output accountName)"
    ;;

  ephemeral)
    [ -n "${RESOURCE_GROUP:-}" ] || fail "RESOURCE_GROUP is empty."
    [ -n "${LOCATION:-}" ] || fail "LOCATION is empty: the region of the drill account."
    if pulumi stack select "$PULUMI_STACK" 2>/dev/null; then
      fail "stack $PULUMI_STACK already exists: a drill provisions a new stack (the default name carries the run id)."
    fi
    pulumi stack init "$PULUMI_STACK"
    pulumi stack tag set docferry:ephemeral true || echo "This backend keeps no stack tags; teardown recognises the stack by its config."
    set_common_config
    pulumi config set docferry-target:createAccount true
    pulumi config set docferry-target:location "$LOCATION"
    pulumi config set azure-native:location "$LOCATION"
    pulumi config set docferry-target:protect false
    pulumi config set docferry-target:publicNetworkAccess "${PUBLIC_NETWORK_ACCESS:-Enabled}"
    if [ -n "${IP_RULES:-}" ]; then pulumi config set docferry-target:ipRules "$IP_RULES"; fi
    principal="${CONTRIBUTOR_PRINCIPAL_ID:-}"
    [ -n "$principal" ] || principal="$(logged_in_principal)"
    pulumi config set --path 'docferry-target:contributorPrincipalIds[0]' "$principal"
    pulumi up --yes --skip-preview --non-interactive
    endpoint="$(pulumi stack output endpoint)"
    output endpoint "$endpoint"
    output accountName "$(pulumi stack output accountName)"
    wait_for_data_plane "$endpoint"
    ;;

  teardown)
    if ! pulumi stack select "$PULUMI_STACK" 2>/dev/null; then
      echo "No stack $PULUMI_STACK: nothing was provisioned, nothing to tear down."
      exit 0
    fi
    pulumi config refresh --force >/dev/null 2>&1 || true
    # Only a stack this script made: tagged (Pulumi Cloud, or a DIY backend since CLI 3.211), or
    # configured as a created, unprotected account. Protected resources would stop destroy anyway.
    if [ "$(pulumi stack tag get docferry:ephemeral 2>/dev/null || true)" != true ] &&
       ! { [ "$(pulumi config get docferry-target:createAccount 2>/dev/null || true)" = true ] &&
           [ "$(pulumi config get docferry-target:protect 2>/dev/null || true)" = false ]; }; then
      fail "stack $PULUMI_STACK was not made by the DR drill (no docferry:ephemeral tag, not an unprotected created account): refusing to destroy it."
    fi
    pulumi destroy --yes --skip-preview --non-interactive
    pulumi stack rm --yes "$PULUMI_STACK"
    echo "Torn down: stack $PULUMI_STACK and everything it held."
    ;;

  *)
    fail "unknown command; use up, check, ephemeral or teardown."
    ;;
esac
