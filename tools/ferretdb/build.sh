#!/usr/bin/env bash
# Builds the embedded-FerretDB launcher used by docferry's tests.
#
#   tools/ferretdb/build.sh          # incremental: no-op when bin/ is up to date
#   tools/ferretdb/build.sh --force  # always rebuild
#
# Output: tools/ferretdb/bin/ferretdb-launcher
# Equivalent manual command (from tools/ferretdb/):
#   GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o bin/ferretdb-launcher .
# FerretDB's SQLite backend is modernc.org/sqlite (pure Go).
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
exec bash "$here/../go-tool-build.sh" "$here" ferretdb-launcher "$@"
