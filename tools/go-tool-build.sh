#!/usr/bin/env bash
# Builds one of the small Go programs the tests use, once: a no-op while bin/ is newer than its
# sources. Called by tools/<tool>/build.sh as: go-tool-build.sh <tool dir> <binary> [--force] [go build flags...]
set -euo pipefail

dir=$1 name=$2
shift 2
force=0
if [[ "${1:-}" == "--force" ]]; then
	force=1
	shift
fi
cd "$dir"
bin=bin/$name

if [[ $force == 0 && -x "$bin" ]]; then
	stale=0
	for src in main.go go.mod go.sum; do
		if [[ "$src" -nt "$bin" ]]; then
			stale=1
			break
		fi
	done
	if [[ $stale == 0 ]]; then
		echo "$name is up to date: $(pwd)/$bin" >&2
		exit 0
	fi
fi

# The modules pin `go 1.24`; use the installed Go (>= 1.24) rather than letting the go command
# download another toolchain. Both tools are pure Go: no cgo needed.
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export CGO_ENABLED="${CGO_ENABLED:-0}"

mkdir -p bin
# Build to a per-process temp name so concurrent builds never see a partial binary.
tmp="$bin.tmp.$$"
trap 'rm -f "$tmp"' EXIT
go build -trimpath "$@" -o "$tmp" .
mv -f "$tmp" "$bin"
echo "built $(pwd)/$bin" >&2
