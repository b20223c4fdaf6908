//! LlamaEdge's llama-chat: a conversation on stdin in Llama 2's chat format, each reply streamed
//! with llama-core's metadata set again before it; ends cleanly at the end of stdin.
mod llamaedge;
use llamaedge::*;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (settings, rest) = Settings::from_args(&args);
    let alias = match rest.iter().position(|a| a == "-m" || a == "--model-alias") {
        Some(i) => rest.get(i + 1).cloned().unwrap_or_else(|| "default".to_string()),
        None => "default".to_string(),
    };
    let metadata = settings.metadata();
    let context = load(&alias, &metadata);
    let system = "You are a helpful assistant.";
    let mut history = String::new();
    loop {
        print!("\n[You]: ");
        std::io::stdout().flush().unwrap();
        let input = match read_input() {
            Some(input) => input,
            None => {
                println!();
                return;
            }
        };
        let prompt = if history.is_empty() {
            format!("<s>[INST] <<SYS>>\n{} <</SYS>>\n\n{} [/INST]", system, input)
        } else {
            format!("{} [INST] {} [/INST]", history, input)
        };
        print!("[Bot]: ");
        let (end, reply) = stream_reply(context, &metadata, &prompt);
        match end {
            END_OF_SEQUENCE => history = format!("{} {} </s>", prompt, reply.trim()),
            CONTEXT_FULL | PROMPT_TOO_LONG => {
                println!("\n[INFO] The context is full: starting a new conversation.");
                history.clear();
            }
            e => {
                println!("\n[ERROR] {}", error_text(e));
                std::process::exit(1);
            }
        }
        println!();
    }
}
