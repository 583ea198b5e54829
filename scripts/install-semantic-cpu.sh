#!/usr/bin/env bash
# Install briefreader with the optional [semantic] extra and the CPU-only build of torch.
#
# From the package index, `pip install 'briefreader[semantic]'` on Linux pulls torch's CUDA
# build (~3.1 GB with the nvidia-* wheels) although briefreader never uses a GPU. Installing
# torch first from PyTorch's CPU index (~200 MB) satisfies the extra's requirement, so pip
# keeps it.
#
# Usage: scripts/install-semantic-cpu.sh [--dry-run] [TARGET]
#   TARGET          what to install with the extra: "briefreader" (default), or "." / "-e ."
#                   in a source checkout
#   --dry-run       print the pip commands instead of running them
# Environment: PIP (default: python3 -m pip of the active environment), TORCH_INDEX_URL
# (default: PyTorch's CPU wheel index), TORCH_SPEC (default: torch).
set -euo pipefail

run() { if [ "$dry_run" = 1 ]; then echo "$*"; else "$@"; fi; }

dry_run=0
if [ "${1:-}" = "--dry-run" ]; then dry_run=1; shift; fi
target=${1:-briefreader}
read -r -a pip <<< "${PIP:-python3 -m pip}"
torch_index=${TORCH_INDEX_URL:-https://download.pytorch.org/whl/cpu}
torch_spec=${TORCH_SPEC:-torch}

run "${pip[@]}" install --index-url "$torch_index" "$torch_spec"
if [ "$target" = "-e ." ]; then
  run "${pip[@]}" install -e ".[semantic]"
else
  run "${pip[@]}" install "${target}[semantic]"
fi
