//! wasmedge-ggml/llama-stream: `llama-stream <model> <prompt>`: the metadata printed right after
//! set_input (before any compute), the output streamed with compute_single/get_output_single until
//! end_of_sequence (or a full context), then the output metadata.
mod ggml;
use ggml::*;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("llama3", "llama3", Some("false"));
    options.from_env("ctx_size", "ctx-size", Some("1024"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    options.from_env("n_predict", "n-predict", None);
    let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)));
    let prompt = &args[2];
    println!("Prompt:\n{}", prompt);
    nn::set_input(context, 0, U8, &[prompt.len() as u32], prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    println!("Response:");
    print_input_metadata(context);
    loop {
        match nn::compute_single(context) {
            Ok(()) => {}
            Err(END_OF_SEQUENCE) => break,
            Err(CONTEXT_FULL) => {
                println!("\n[INFO] Context full, we'll reset the context and continue.");
                break;
            }
            Err(PROMPT_TOO_LONG) => {
                println!("\n[INFO] Prompt too long, we'll reset the context and continue.");
                break;
            }
            Err(e) => {
                println!("\n[ERROR] {}", error_text(e));
                std::process::exit(1);
            }
        }
        print!("{}", get_single(context, 0));
        std::io::stdout().flush().unwrap();
    }
    println!();
    print_output_metadata(context);
    nn::fini_single(context).unwrap_or_else(|e| panic!("Failed to fini single: {}", error_text(e)));
}
