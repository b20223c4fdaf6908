//! wasmedge-ggml/test/set-input-twice: the prompt set twice, output 1 read after each (before any
//! compute); the two input token counts must be equal, or the guest panics.
mod ggml;
use ggml::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    options.set_raw("ctx-size", "1024");
    let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)));
    if args.len() < 3 {
        println!("Usage: {} <model_name> <prompt>", args[0]);
        return;
    }
    let prompt = &args[2];
    println!("Prompt:\n{}", prompt);
    nn::set_input(context, 0, U8, &[prompt.len() as u32], prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    println!("Response:");
    let before = get_data(context, 1);
    println!("[INFO] llama_commit: {}", json_field(&before, "llama_commit"));
    println!("[INFO] llama_build_number: {}", json_field(&before, "llama_build_number"));
    println!("[INFO] Number of input tokens: {}", json_field(&before, "input_tokens"));
    nn::set_input(context, 0, U8, &[prompt.len() as u32], prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    let after = get_data(context, 1);
    println!("[INFO] Number of input tokens: {}", json_field(&after, "input_tokens"));
    if json_field(&before, "input_tokens") != json_field(&after, "input_tokens") {
        panic!("The number of input tokens is different after setting the input twice.");
    }
}
