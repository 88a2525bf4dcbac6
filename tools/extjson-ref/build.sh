#!/usr/bin/env bash
# Builds extjson-ref (main.go): MongoDB Go driver relaxed Extended JSON, the reference for docferry tests.
#
#   tools/extjson-ref/build.sh          # incremental: no-op when bin/ is up to date
#   tools/extjson-ref/build.sh --force  # always rebuild
#
# Output: tools/extjson-ref/bin/extjson-ref
# Only the module cache is used (the Go driver comes with the FerretDB launcher's modules): -mod=readonly, no download.
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
exec bash "$here/../go-tool-build.sh" "$here" extjson-ref "$@" -mod=readonly
