#!/usr/bin/env bash
# Installs what Thorax needs on a Debian machine and builds it, idempotently. Sourced by ./thorax and ./test.sh.
# Fast when nothing changed: package checks are dpkg look-ups and the .NET build is skipped when no source file is
# newer than the last successful build. The engine (libtorch 2.10) comes with the TorchSharp-cpu NuGet package; on
# Debian 12 the build itself marks one symbol version of its native library weak (build/TorchSharpNative.targets).
#
# Environment:
#   THORAX_QUIET=1     less output.
set -euo pipefail

THORAX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THORAX_STATE="$THORAX_ROOT/.thorax"
mkdir -p "$THORAX_STATE"

say() { [ "${THORAX_QUIET:-0}" = 1 ] || echo "[thorax] $*" >&2; }

# Runtime packages (DICOM codecs). Oracles for golden files (python3-torch, -opencv, ...) are installed by tools/ scripts.
THORAX_APT_PACKAGES=(libturbojpeg0 libopenjp2-7 libcharls2 zlib1g)

thorax_install_packages() {
  local missing=()
  for p in "${THORAX_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing apt packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

thorax_check_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "[thorax] the .NET 10 SDK is required (dotnet not on PATH). Install it, then rerun." >&2
    exit 1
  fi
}

thorax_build_dotnet() {
  local stamp="$THORAX_STATE/dotnet-build.stamp"
  if [ -f "$stamp" ] && [ -z "$(find "$THORAX_ROOT/src" "$THORAX_ROOT/tests" "$THORAX_ROOT/build" \
        "$THORAX_ROOT"/Directory.*.props "$THORAX_ROOT"/Directory.*.targets "$THORAX_ROOT/Thorax.slnx" -newer "$stamp" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.targets' -o -name '*.json' -o -name '*.slnx' -o -name '*.html' -o -name '*.js' -o -name '*.css' \) \
        -not -path '*/bin/*' -not -path '*/obj/*' -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  say "building the .NET solution"
  local log="$THORAX_STATE/dotnet-build.$$.log"
  # The stamp takes the time the build started, so files edited during the build count as changed next time.
  # Its temporary name is per process: two bootstraps running at once must not take each other's stamp.
  touch "$stamp.$$"
  if ! dotnet build "$THORAX_ROOT/Thorax.slnx" -c Release -nologo -clp:ErrorsOnly > "$log" 2>&1; then
    rm -f "$stamp.$$"
    cat "$log" >&2
    echo "[thorax] .NET build failed (log: $log)" >&2
    exit 1
  fi
  mv -f "$stamp.$$" "$stamp"
  rm -f "$log"
}

thorax_bootstrap() {
  thorax_install_packages
  thorax_check_dotnet
  thorax_build_dotnet
}
