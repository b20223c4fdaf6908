//! wasmedge-ggml/embedding: `embedding <model> <prompt>` with {"embedding": true}: the raw output
//! (WasmEdge's {"n_embedding", "embedding"} JSON), its length and first five values.
mod ggml;
use ggml::*;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", None);
    options.from_env("ctx_size", "ctx-size", None);
    options.from_env("batch_size", "batch-size", None);
    options.from_env("threads", "threads", None);
    options.set_raw("embedding", "true");
    let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Create GraphBuilder Failed, please check the model name or options: {}", error_text(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Init Context Failed, please check the model: {}", error_text(e)));
    let prompt = &args[2];
    println!("Prompt:\n{}", prompt);
    set_data(context, 0, prompt.as_bytes()).unwrap();
    println!("Raw Embedding Output:");
    nn::compute(context).unwrap_or_else(|e| panic!("{}", error_text(e)));
    let output = get_data(context, 0);
    println!("{}", output.trim());
    println!("Interact with Embedding:");
    let n_embd: u64 = json_field(&output, "n_embedding").parse().expect("n_embedding");
    println!("N_Embd: {}", n_embd);
    println!("Show the first 5 elements:");
    let values = &output[output.find('[').expect("embedding array") + 1..];
    for (idx, value) in values.split(|c| c == ',' || c == ']').take(5).enumerate() {
        println!("embd[{}] = {}", idx, value.trim());
    }
}
