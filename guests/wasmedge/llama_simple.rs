//! LlamaEdge's llama-simple: `llama-simple -p <prompt> [-m alias] [-c ctx] [-n n_predict]`: one
//! completion, streamed, with llama-core's metadata.
mod llamaedge;
use llamaedge::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (settings, rest) = Settings::from_args(&args);
    let mut prompt = None;
    let mut alias = "default".to_string();
    let mut i = 0;
    while i < rest.len() {
        match rest[i].as_str() {
            "-p" | "--prompt" => prompt = rest.get(i + 1).cloned(),
            "-m" | "--model-alias" => alias = rest.get(i + 1).cloned().unwrap_or(alias),
            other => {
                eprintln!("llama-simple: unknown argument {}", other);
                std::process::exit(2);
            }
        }
        i += 2;
    }
    let prompt = prompt.unwrap_or_else(|| {
        eprintln!("Usage: llama-simple -p <prompt> [-m alias] [-c ctx-size] [-n n-predict]");
        std::process::exit(2)
    });
    let metadata = settings.metadata();
    let context = load(&alias, &metadata);
    println!("[prompt] {}", prompt);
    print!("[answer] ");
    match stream_reply(context, &metadata, &prompt).0 {
        END_OF_SEQUENCE => println!(),
        CONTEXT_FULL => println!("\n[context full]"),
        e => {
            println!("\n[ERROR] {}", error_text(e));
            std::process::exit(1);
        }
    }
}
