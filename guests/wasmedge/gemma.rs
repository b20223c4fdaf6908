//! wasmedge-ggml/gemma (and the grammar and json-schema examples, which differ only in their
//! options): `gemma <model> <prompt>`: metadata right after set_input, one compute (panics if it
//! fails), the output, the output metadata. GUEST_KIND picks the options at build time.
mod ggml;
use ggml::*;

/// The json-schema example's schema, sent as JSON text.
const JSON_SCHEMA: &str = r#"{"type":"array","items":{"title":"Product","type":"object","properties":{"productId":{"type":"integer"},"productName":{"type":"string"},"price":{"type":"number","exclusiveMinimum":0}},"required":["productId","productName","price"]},"minItems":1}"#;
/// A GBNF grammar in the grammar example's spirit: a JSON object of string keys and values.
const GRAMMAR: &str = r#"root ::= "{" ws pair ("," ws pair)* "}"
pair ::= string ":" ws string
string ::= "\"" [a-z ]+ "\""
ws ::= [ ]?"#;

fn main() {
    let kind = option_env!("GUEST_KIND").unwrap_or("gemma");
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    options.from_env("ctx_size", "ctx-size", None);
    options.from_env("n_predict", "n-predict", None);
    match kind {
        "json-schema" => {
            options.set_str("json-schema", JSON_SCHEMA);
            options.set_raw("temp", "0.1");
        }
        "grammar" => options.set_str("grammar", GRAMMAR),
        _ => {}
    }
    let graph = build_from_cache(&args[1], &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)));
    if args.len() < 3 {
        println!("Usage: {} <model_name> <prompt>", args[0]);
        std::process::exit(1);
    }
    let prompt = &args[2];
    println!("Prompt:\n{}", prompt);
    nn::set_input(context, 0, U8, &[prompt.len() as u32], prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    println!("Response:");
    print_input_metadata(context);
    nn::compute(context).unwrap_or_else(|e| panic!("Failed to compute: {}", error_text(e)));
    println!("{}", get_data(context, 0).trim());
    print_output_metadata(context);
}
