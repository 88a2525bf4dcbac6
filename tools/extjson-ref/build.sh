#!/usr/bin/env bash
# Builds extjson-ref (main.go): MongoDB Go driver relaxed Extended JSON, the reference for docferry tests.
#
#   tools/extjson-ref/build.sh          # incremental: no-op when bin/ is up to date
#   tools/extjson-ref/build.sh --force  # always rebuild
#
# Output: tools/extjson-ref/bin/extjson-ref
# Equivalent manual command (from tools/extjson-ref/):
#   GOTOOLCHAIN=local CGO_ENABLED=0 go build -trimpath -o bin/extjson-ref .
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

bin=bin/extjson-ref

if [[ "${1:-}" != "--force" && -x "$bin" ]]; then
	stale=0
	for src in main.go go.mod go.sum; do
		if [[ "$src" -nt "$bin" ]]; then
			stale=1
			break
		fi
	done
	if [[ $stale == 0 ]]; then
		echo "extjson-ref is up to date: $(pwd)/$bin" >&2
		exit 0
	fi
fi

# The module pins `go 1.24`; use the installed Go, and only the module cache (the Go driver
# comes with the FerretDB launcher's modules): no download, no other toolchain.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED="${CGO_ENABLED:-0}"

mkdir -p bin
# Build to a per-process temp name so concurrent builds never see a partial binary.
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
GOFLAGS=-mod=readonly go build -trimpath -o "$tmp" .
mv -f "$tmp" "$bin"
echo "built $(pwd)/$bin" >&2
