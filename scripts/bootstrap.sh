#!/usr/bin/env bash
# Installs what Thorax needs on a Debian machine and builds it, idempotently. Sourced by ./thorax and ./test.sh.
# Fast when nothing changed: package checks are dpkg look-ups, the native build is an up-to-date make, and the .NET
# build is skipped when no source file is newer than the last successful build.
#
# Environment:
#   THORAX_TORCH_DIR   a libtorch CMake folder (e.g. $(python -c 'import torch;print(torch.utils.cmake_prefix_path)'))
#                      to build the shim against another libtorch (a CUDA one); default: Debian's libtorch-dev.
#   THORAX_QUIET=1     less output.
set -euo pipefail

THORAX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
THORAX_STATE="$THORAX_ROOT/.thorax"
mkdir -p "$THORAX_STATE"

say() { [ "${THORAX_QUIET:-0}" = 1 ] || echo "[thorax] $*" >&2; }

# Runtime and build packages. Oracles for golden files (python3-torch, -opencv, ...) are installed by tools/ scripts.
THORAX_APT_PACKAGES=(cmake g++ make libtorch-dev libopenblas-dev libturbojpeg0 libopenjp2-7 libcharls2 zlib1g)

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

thorax_build_native() {
  local build="$THORAX_ROOT/native/build"
  local cfg=(-S "$THORAX_ROOT/native" -B "$build" -DCMAKE_BUILD_TYPE=Release)
  local want="${THORAX_TORCH_DIR:-system}"
  if [ -n "${THORAX_TORCH_DIR:-}" ]; then cfg+=(-DCMAKE_PREFIX_PATH="$THORAX_TORCH_DIR"); fi
  if [ ! -f "$build/CMakeCache.txt" ] || [ "$(cat "$build/.torch-dir" 2>/dev/null)" != "$want" ]; then
    say "configuring the native shim (libtorch: $want)"
    rm -rf "$build"
    cmake "${cfg[@]}" >/dev/null
    echo "$want" > "$build/.torch-dir"
  fi
  local lib="$build/libthorax_native.so"
  if [ ! -f "$lib" ] || [ -n "$(find "$THORAX_ROOT/native/src" "$THORAX_ROOT/native/CMakeLists.txt" -newer "$lib" -print -quit)" ]; then
    say "building the native shim (the first build takes a few minutes)"
    local log="$THORAX_STATE/native-build.log"
    if ! cmake --build "$build" -j"$(nproc)" > "$log" 2>&1; then
      grep -E "error" "$log" >&2 || tail -20 "$log" >&2
      echo "[thorax] native build failed (log: $log)" >&2
      exit 1
    fi
  fi
}

thorax_build_dotnet() {
  local stamp="$THORAX_STATE/dotnet-build.stamp"
  if [ -f "$stamp" ] && [ -z "$(find "$THORAX_ROOT/src" "$THORAX_ROOT/tests" "$THORAX_ROOT/native/build/libthorax_native.so" \
        "$THORAX_ROOT"/Directory.*.props "$THORAX_ROOT/Thorax.slnx" -newer "$stamp" \
        \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.so' -o -name '*.slnx' -o -name '*.html' -o -name '*.js' -o -name '*.css' \) \
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
  thorax_build_native
  thorax_build_dotnet
}
