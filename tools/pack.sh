#!/usr/bin/env bash
# Packs the Thorax NuGet packages (Thorax.Dicom, .Imaging, .Metrics, .Data, .Models, .Training, .Text, .Pipelines,
# .Synthetic) and the thorax .NET tool (Thorax.Cli) into the local folder feed artifacts/feed (gitignored).
# Idempotent and fast when nothing changed: the packs are skipped while no source, project or build file is newer than
# the feed's stamp and every package is present. After a repack, the extracted copies of these package versions are
# dropped from the NuGet global packages folder, so projects that consume the feed (samples/) restore the new build.
#
# Usage: tools/pack.sh [--force] [--libraries] [--no-build]      prints the feed's folder on its last line
#   --libraries  only the nine library packages, not the tool (its package carries libtorch: ~130 MB, slow to zip)
#   --no-build   pack what the last Release build (./thorax, ./test.sh) left in bin/ instead of building
# Environment: THORAX_FEED=DIR (default artifacts/feed), THORAX_QUIET=1.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FEED="${THORAX_FEED:-$ROOT/artifacts/feed}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
say() { [ "${THORAX_QUIET:-0}" = 1 ] || echo "[pack] $*" >&2; }

PACKAGES=(Thorax.Dicom Thorax.Imaging Thorax.Metrics Thorax.Data Thorax.Models Thorax.Training Thorax.Text
          Thorax.Pipelines Thorax.Synthetic)
force=0 tool=1
build_args=()
for a in "$@"; do
  case "$a" in
    --force) force=1 ;;
    --libraries) tool=0 ;;
    --no-build) build_args+=(--no-build) ;;
    *) echo "usage: tools/pack.sh [--force] [--libraries] [--no-build]" >&2; exit 2 ;;
  esac
done
if [ $tool = 1 ]; then PACKAGES+=(Thorax.Cli); else build_args+=(-p:ThoraxPackTool=false); fi

version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$ROOT/Directory.Build.props" | head -1)"
mkdir -p "$FEED"
# One stamp per mode: a libraries-only repack leaves the tool package behind, so it invalidates the full stamp.
full_stamp="$FEED/.pack-all.stamp" lib_stamp="$FEED/.pack-libraries.stamp"
if [ $tool = 1 ]; then stamp="$full_stamp"; else stamp="$lib_stamp"; fi

up_to_date() {
  [ -f "$stamp" ] || return 1
  [ "$(cat "$stamp")" = "$version" ] || return 1
  for p in "${PACKAGES[@]}"; do [ -f "$FEED/$p.$version.nupkg" ] || return 1; done
  [ -z "$(find "$ROOT/src" "$ROOT/build" "$ROOT"/Directory.*.props "$ROOT"/Directory.*.targets -newer "$stamp" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' -o -name '*.md' \
           -o -name '*.tsv' -o -name '*.html' -o -name '*.js' -o -name '*.css' \) \
        -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)" ]
}

if [ $force = 0 ] && up_to_date; then
  say "packages $version are up to date in $FEED"
  echo "$FEED"
  exit 0
fi

props=()
commit="$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)"
[ -n "$commit" ] && props+=("-p:RepositoryCommit=$commit")
url="$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)"
[ -n "$url" ] && props+=("-p:RepositoryUrl=$url" "-p:PackageProjectUrl=$url")

say "packing Thorax $version into $FEED"
log="$FEED/.pack.$$.log"
start="$FEED/.pack-stamp.$$"
touch "$start"
# One MSBuild invocation over the source projects (Thorax.Packages.slnf): references are built once.
if ! dotnet pack "$ROOT/Thorax.Packages.slnf" -c Release -o "$FEED" -nologo -clp:ErrorsOnly "${build_args[@]}" "${props[@]}" > "$log" 2>&1; then
  rm -f "$start"
  cat "$log" >&2
  echo "[pack] dotnet pack failed (log: $log)" >&2
  exit 1
fi
rm -f "$log"
for p in "${PACKAGES[@]}"; do
  [ -f "$FEED/$p.$version.nupkg" ] || { rm -f "$start"; echo "[pack] $FEED/$p.$version.nupkg was not written" >&2; exit 1; }
done
# Consumers restore by id and version: drop stale extracted copies of this version (only Thorax's own packages).
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
for p in "${PACKAGES[@]}"; do
  lower="$(echo "$p" | tr '[:upper:]' '[:lower:]')"
  rm -rf "${cache:?}/$lower/$version"
done
echo "$version" > "$start"
if [ $tool = 1 ]; then cp -p "$start" "$lib_stamp"; else rm -f "$full_stamp"; fi
mv -f "$start" "$stamp"
say "$(ls "$FEED"/*.nupkg | wc -l) packages in $FEED"
echo "$FEED"
