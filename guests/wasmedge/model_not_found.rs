//! wasmedge-ggml/test/model-not-found: loading a preloaded model whose file is missing must fail
//! with model_not_found (103); anything else panics.
mod ggml;
use ggml::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match nn::load_by_name(&args[1]) {
        Err(MODEL_NOT_FOUND) => println!("Model not found"),
        Err(e) => panic!("Should be model not found, got {}", error_text(e)),
        Ok(_) => panic!("Should be model not found"),
    }
}
