#!/bin/sh
# Rebuilds bin/fuzz-preview1.wasm from fuzz.rs (which shares ../preview1/nn.rs): a wasm32-wasi core
# module, no crates, no cargo. Toolchain: Debian bookworm's rustc 1.63 with its wasm32 standard
# library (apt-get install -y rustc libstd-rust-dev-wasm32). The built module is committed, so the
# tests never need this toolchain.
set -eu
cd "$(dirname "$0")"
RUSTC=${RUSTC:-/usr/bin/rustc}
mkdir -p bin
"$RUSTC" --edition 2021 --target wasm32-wasi -C opt-level=s -C lto -C strip=symbols \
  --remap-path-prefix "$PWD=." fuzz.rs -o bin/fuzz-preview1.wasm
echo "bin/fuzz-preview1.wasm: $(wc -c < bin/fuzz-preview1.wasm) bytes"
