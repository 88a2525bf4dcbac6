#!/usr/bin/env bash
# The layout file an import or verify of a pulled export uses: the same choice pulumi-target.sh
# makes when it provisions from that export. LAYOUT_FILE if set; else the layout the export's
# manifest records (written to OUT); else docferry's default layout. For the jobs of a sharded
# drill, which run on other agents than the one that provisioned.
#
# Environment: EXPORT_DIR (a pulled export), OUT (a file path), LAYOUT_FILE (optional),
# DOCFERRY_ROOT (the docferry checkout). Output: file (a step output on GitHub, an output variable
# on Azure DevOps).
set -euo pipefail

output() { # name value
  echo "$1=$2"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "$1=$2" >>"$GITHUB_OUTPUT"; fi
  if [ "${TF_BUILD:-}" = True ]; then echo "##vso[task.setvariable variable=$1;isOutput=true]$2"; fi
}

if [ -n "${LAYOUT_FILE:-}" ]; then output file "$LAYOUT_FILE"; exit 0; fi
if [ -n "${EXPORT_DIR:-}" ] && [ -f "$EXPORT_DIR/manifest.json" ] && node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!m.layout || !m.layout.document) process.exit(3);
  require("fs").writeFileSync(process.argv[2], JSON.stringify(m.layout.document, null, 2));
' "$EXPORT_DIR/manifest.json" "${OUT:?OUT is empty: where to write the layout}"; then
  output file "$OUT"
  exit 0
fi
[ -n "${DOCFERRY_ROOT:-}" ] || { echo "export-layout.sh: DOCFERRY_ROOT is empty and the export records no layout." >&2; exit 2; }
output file "$DOCFERRY_ROOT/layouts/default.json"
