#!/bin/sh
# Rebuilds the WasmEdge-example guests in bin/ from their Rust sources (see README.md): wasm32-wasi
# core modules with no crates, on the bindings in ../preview1/nn.rs. Toolchain: Debian bookworm's
# rustc 1.63 with its wasm32 standard library:  apt-get install -y rustc libstd-rust-dev-wasm32
# The built .wasm files are committed, so tests never need this toolchain.
set -eu
cd "$(dirname "$0")"
RUSTC=${RUSTC:-/usr/bin/rustc}
mkdir -p bin
build() { # <source> <output name> [GUEST_KIND]
  GUEST_KIND=${3:-} "$RUSTC" --edition 2021 --target wasm32-wasi -C opt-level=s -C lto -C strip=symbols \
    --remap-path-prefix "$PWD=." "$1.rs" -o "bin/$2.wasm"
  echo "bin/$2.wasm: $(wc -c < "bin/$2.wasm") bytes"
}
build basic wasmedge-ggml-basic
build llama wasmedge-ggml-llama
build llama_stream wasmedge-ggml-llama-stream
build gemma wasmedge-ggml-gemma gemma
build gemma wasmedge-ggml-grammar grammar
build gemma wasmedge-ggml-json-schema json-schema
build embedding wasmedge-ggml-llama-embedding
build multimodel wasmedge-ggml-multimodel
build set_input_twice wasmedge-ggml-set-input-twice
build model_not_found wasmedge-ggml-model-not-found
build unload wasmedge-ggml-unload
build ggml_checks ggml-checks
build llama_simple llama-simple
build llama_chat llama-chat
build dir_probe dir-probe
