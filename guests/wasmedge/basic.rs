//! wasmedge-ggml/basic: `basic <model> [prompt]` with stream-stdout (the host prints tokens as they
//! come), temp 0.1 and n-predict 512 unless set; without a prompt, one compute per line of stdin.
mod ggml;
use ggml::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("ctx_size", "ctx-size", Some("512"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    options.from_env("n_predict", "n-predict", Some("512"));
    options.set_raw("stream-stdout", "true");
    options.set_raw("temp", "0.1");
    let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)));

    if args.len() >= 3 {
        let prompt = &args[2];
        println!("Prompt:\n{}", prompt);
        set_data(context, 0, prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
        println!("Response:");
        nn::compute(context).unwrap_or_else(|e| panic!("Failed to compute: {}", error_text(e)));
        get_data(context, 0);
        println!();
        std::process::exit(0);
    }
    loop {
        println!("USER:");
        let input = match read_input() {
            Some(input) => input,
            None => return,
        };
        set_data(context, 0, input.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
        println!("ASSISTANT:");
        compute_interactive(context);
        get_data(context, 0);
        println!();
    }
}
