#!/usr/bin/env bash
# Crash-resume check of every trainer (README, "Crash-resume"): builds the CLI once, then runs `thorax crash-resume`
# from the built thorax.dll (not ./thorax), so the SIGKILLs hit the trainer processes themselves.
#   tools/crash-resume.sh [--trainers lungs,ptx-classifier,ptx-segmenter,gdvig,saliency,contextual|all] [--kills 3] [--seed 1] [--work DIR]
# Exit 0 when every trainer resumed to the uninterrupted run's weights byte for byte with no partial file; 1 otherwise.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=scripts/bootstrap.sh
source "$ROOT/scripts/bootstrap.sh"
thorax_bootstrap
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec dotnet "$ROOT/src/Thorax.Cli/bin/Release/net10.0/thorax.dll" crash-resume "$@"
