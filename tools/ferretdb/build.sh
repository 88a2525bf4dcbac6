#!/usr/bin/env bash
# Builds the embedded-FerretDB launcher used by docferry's tests.
#
#   tools/ferretdb/build.sh          # incremental: no-op when bin/ is up to date
#   tools/ferretdb/build.sh --force  # always rebuild
#
# Output: tools/ferretdb/bin/ferretdb-launcher
# Equivalent manual command (from tools/ferretdb/):
#   GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o bin/ferretdb-launcher .
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

bin=bin/ferretdb-launcher

if [[ "${1:-}" != "--force" && -x "$bin" ]]; then
	stale=0
	for src in main.go go.mod go.sum; do
		if [[ "$src" -nt "$bin" ]]; then
			stale=1
			break
		fi
	done
	if [[ $stale == 0 ]]; then
		echo "ferretdb-launcher is up to date: $(pwd)/$bin" >&2
		exit 0
	fi
fi

# The module pins `go 1.24`; use whatever Go >= 1.24 is installed rather than
# letting the go command try to download another toolchain.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# FerretDB's SQLite backend is modernc.org/sqlite (pure Go): no cgo needed.
export CGO_ENABLED="${CGO_ENABLED:-0}"

mkdir -p bin
# Build to a per-process temp name so concurrent builds never see a partial binary.
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
go build -trimpath -o "$tmp" .
mv -f "$tmp" "$bin"
echo "built $(pwd)/$bin" >&2
