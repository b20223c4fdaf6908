#!/bin/sh
# Rebuilds the preview1 guest fixtures in bin/ from their Rust sources: wasm32-wasi core modules that
# import wasi_ephemeral_nn by hand (no crates, no cargo). Toolchain: Debian bookworm's rustc 1.63
# with its wasm32 standard library:  apt-get install -y rustc libstd-rust-dev-wasm32
# The built .wasm files are committed, so tests never need this toolchain.
set -eu
cd "$(dirname "$0")"
RUSTC=${RUSTC:-/usr/bin/rustc}
mkdir -p bin
for guest in witx-probe llama-stream nn-bench; do
  "$RUSTC" --edition 2021 --target wasm32-wasi -C opt-level=s -C lto -C strip=symbols \
    --remap-path-prefix "$PWD=." "$guest.rs" -o "bin/$guest.wasm"
  echo "bin/$guest.wasm: $(wc -c < "bin/$guest.wasm") bytes"
done
