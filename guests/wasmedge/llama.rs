//! wasmedge-ggml/llama: `llama <model> [prompt]`. With a prompt: one compute, the output printed
//! (the CI path, which panics if compute fails). Without: a chat on stdin in Llama 2's format
//! (Llama 3's with `--env llama3=true`), starting over when the context fills.
mod ggml;
use ggml::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    options.from_env("ctx_size", "ctx-size", Some("512"));
    options.from_env("n_predict", "n-predict", None);
    // Not a GGML option: the examples send it anyway, and WasmEdge ignores it.
    options.from_env("llama3", "llama3", Some("false"));
    let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)));

    if args.len() >= 3 {
        let prompt = &args[2];
        println!("Prompt:\n{}", prompt);
        set_data(context, 0, prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
        println!("Response:");
        nn::compute(context).unwrap_or_else(|e| panic!("Failed to compute: {}", error_text(e)));
        println!("{}", get_data(context, 0).trim());
        std::process::exit(0);
    }

    let llama3 = options.get("llama3") == Some("true");
    let system = "You are a helpful, respectful and honest assistant. Always answer as short as possible, while being safe.";
    let mut saved = String::new();
    loop {
        println!("USER:");
        let input = match read_input() {
            Some(input) => input,
            None => return,
        };
        saved = match (saved.is_empty(), llama3) {
            (true, false) => format!("[INST] <<SYS>> {} <</SYS>> {} [/INST]", system, input),
            (false, false) => format!("{} [INST] {} [/INST]", saved, input),
            (true, true) => format!(
                "<|start_header_id|>system<|end_header_id|>\n\n{}<|eot_id|>\n<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>\n\n",
                system, input
            ),
            (false, true) => format!("{}<|start_header_id|>user<|end_header_id|>\n\n{}<|eot_id|>\n<|start_header_id|>assistant<|end_header_id|>\n\n", saved, input),
        };
        set_data(context, 0, saved.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
        let reset = compute_interactive(context);
        // After a full context the output is the text generated until then.
        let output = get_data(context, 0);
        println!("ASSISTANT:\n{}", output.trim());
        if reset {
            saved.clear();
        } else {
            saved = format!("{} {}", saved, output.trim());
        }
    }
}
