//! A WasmEdge-style llama guest: `llama-stream <model-name> <prompt>`, with the model preloaded by
//! the host (`--nn-preload default:GGML:AUTO:model.gguf`). It streams the completion token by token
//! through compute_single/get_output_single, as LlamaEdge does. Options come from environment
//! variables, as in WasmEdge's examples (n_predict=64 → {"n-predict":64}); with report=1 it prints
//! the step count, generation time and output-1 metadata to stderr; repeat=N generates N times;
//! stream=0 makes one compute + get_output per generation instead of the compute_single loop.
mod nn;

use std::io::Write;
use std::process::exit;
use std::time::Instant;

/// Environment variables that become graph options (the key with `-` for `_`).
const OPTIONS: [&str; 15] = [
    "enable_log", "ctx_size", "n_predict", "n_gpu_layers", "temp", "top_k", "top_p", "seed", "repeat_penalty",
    "reverse_prompt", "threads", "batch_size", "grammar", "json_schema", "stream_stdout",
];

/// A JSON value for an option: numbers and booleans as they are, anything else as a string.
fn json_value(text: &str) -> String {
    if text == "true" || text == "false" || text.parse::<f64>().is_ok() {
        return text.to_string();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn config() -> String {
    let fields: Vec<String> = OPTIONS
        .iter()
        .filter_map(|key| std::env::var(key).ok().map(|value| format!("\"{}\":{}", key.replace('_', "-"), json_value(&value))))
        .collect();
    format!("{{{}}}", fields.join(","))
}

fn fail(what: &str, errno: u32) -> ! {
    eprintln!("llama-stream: {} failed: {} ({})", what, nn::errno_name(errno), errno);
    exit(1)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: llama-stream <model-name> <prompt>");
        exit(2);
    }
    let graph = nn::load_by_name_with_config(&args[1], &config()).unwrap_or_else(|e| fail("load_by_name_with_config", e));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| fail("init_execution_context", e));
    let report = std::env::var("report").map(|v| v == "1").unwrap_or(false);
    let repeat: u32 = std::env::var("repeat").ok().and_then(|r| r.parse().ok()).unwrap_or(1);
    // stream=0: one compute and get_output instead of the compute_single loop.
    let streaming = std::env::var("stream").map(|v| v != "0").unwrap_or(true);
    let mut token = vec![0u8; 4096];
    let mut text = vec![0u8; 1 << 20];
    let mut stdout = std::io::stdout();
    for _ in 0..repeat {
        nn::set_input(context, 0, nn::U8, &[1], args[2].as_bytes()).unwrap_or_else(|e| fail("set_input", e));
        let started = Instant::now();
        let mut tokens = 0u32;
        if streaming {
            loop {
                match nn::compute_single(context) {
                    Ok(()) => {}
                    Err(nn::END_OF_SEQUENCE) => break,
                    Err(e) => fail("compute_single", e),
                }
                let n = nn::get_output_single(context, 0, &mut token).unwrap_or_else(|e| fail("get_output_single", e));
                stdout.write_all(&token[..n]).and_then(|_| stdout.flush()).unwrap_or_else(|_| exit(1));
                tokens += 1;
            }
        } else {
            nn::compute(context).unwrap_or_else(|e| fail("compute", e));
            let n = nn::get_output(context, 0, &mut text).unwrap_or_else(|e| fail("get_output", e));
            stdout.write_all(&text[..n]).unwrap_or_else(|_| exit(1));
        }
        let elapsed = started.elapsed();
        println!();
        if report {
            let mut metadata = vec![0u8; 4096];
            let n = nn::get_output(context, 1, &mut metadata).unwrap_or_else(|e| fail("get_output metadata", e));
            eprintln!("tokens: {} in {} us; metadata: {}", tokens, elapsed.as_micros(), String::from_utf8_lossy(&metadata[..n]));
        }
        nn::fini_single(context).unwrap_or_else(|e| fail("fini_single", e));
    }
    nn::finalize_execution_context(context).unwrap_or_else(|e| fail("finalize_execution_context", e));
    nn::unload(graph).unwrap_or_else(|e| fail("unload", e));
}
