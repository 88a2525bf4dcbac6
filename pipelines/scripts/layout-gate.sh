#!/usr/bin/env bash
# The schema gate of the release flows, shared by the Azure DevOps templates and the GitHub
# workflows: after pulumi/target and before the first document is written, the live target
# account is read back through the management plane and compared with the layout
# (`docferry layout diff`). `pulumi preview --expect-no-changes` compares with Pulumi's state;
# this compares with the account itself, so a container changed outside Pulumi (an indexing
# policy, a unique key, a TTL, a partition key) stops the promotion here, with the differences
# listed, instead of surfacing later in the restored data. Exit 5 on differences.
#
# Authenticates through the Azure CLI login the pipeline step left (AzureCLI@2 with a service
# connection, or azure/login): the identity that ran pulumi/target can read the account.
#
# Environment:
#   DOCFERRY_ROOT            the docferry checkout (npm ci done)
#   LAYOUT_FILE              the layout the target must match (pulumi-target.sh's layoutFile output)
#   RESOURCE_GROUP, ACCOUNT_NAME   the target account
#   AZURE_SUBSCRIPTION_ID    default: the subscription of the Azure CLI login
set -euo pipefail

fail() { echo "layout-gate.sh: $*" >&2; exit 2; }
[ -n "${DOCFERRY_ROOT:-}" ] || fail "DOCFERRY_ROOT is empty: point it at the docferry checkout."
[ -n "${LAYOUT_FILE:-}" ] || fail "LAYOUT_FILE is empty: name the layout the target must match."
[ -f "$LAYOUT_FILE" ] || fail "LAYOUT_FILE $LAYOUT_FILE does not exist."
[ -n "${RESOURCE_GROUP:-}" ] || fail "RESOURCE_GROUP is empty."
[ -n "${ACCOUNT_NAME:-}" ] || fail "ACCOUNT_NAME is empty: name the target account."
subscription="${AZURE_SUBSCRIPTION_ID:-}"
[ -n "$subscription" ] || subscription="$(az account show --query id -o tsv)"

cd "$DOCFERRY_ROOT"
status=0
# The CLI through tsx: the templates install with --ignore-scripts, so there is no dist/ build.
node --import tsx src/cli/main.ts layout diff --against cosmos --layout "$LAYOUT_FILE" \
  --subscription-id "$subscription" --resource-group "$RESOURCE_GROUP" --account "$ACCOUNT_NAME" || status=$?
if [ "$status" -eq 5 ]; then
  msg="The target account $ACCOUNT_NAME differs from $LAYOUT_FILE (listed above): fix the account or the layout, then run pulumi/target again. Nothing was imported."
  if [ "${TF_BUILD:-}" = True ]; then echo "##vso[task.logissue type=error]$msg"; elif [ -n "${GITHUB_ACTIONS:-}" ]; then echo "::error::$msg"; else echo "$msg" >&2; fi
fi
exit "$status"
