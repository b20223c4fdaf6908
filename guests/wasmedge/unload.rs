//! wasmedge-ggml/test/unload: five times load (with a config), compute, print, unload; the same
//! name must load again after each unload. A full context or a too-long prompt is reported and
//! the output printed all the same.
mod ggml;
use ggml::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    if args.len() < 3 {
        println!("Usage: {} <model_name> <prompt>", args[0]);
        std::process::exit(1);
    }
    let prompt = &args[2];
    for i in 0..5 {
        println!("----- Test {} -----", i);
        let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
        println!("Graph {} loaded.", graph);
        let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)));
        println!("Prompt:\n{}", prompt);
        set_data(context, 0, prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
        println!("Response:");
        match nn::compute(context) {
            Ok(()) => {}
            Err(CONTEXT_FULL) => println!("\n[INFO] Context full, we'll reset the context and continue."),
            Err(PROMPT_TOO_LONG) => println!("\n[INFO] Prompt too long, we'll reset the context and continue."),
            Err(e) => {
                println!("\n[ERROR] {}", error_text(e));
                std::process::exit(1);
            }
        }
        println!("{}", get_data(context, 0).trim());
        nn::unload(graph).unwrap_or_else(|e| panic!("Failed to unload graph: {}", error_text(e)));
        // The context outlives its graph's handle: its output stays readable.
        get_data(context, 1);
    }
}
