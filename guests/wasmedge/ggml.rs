//! What the wasmedge-ggml examples share (their `get_options_from_env`, `get_data_from_context`,
//! `read_input`), written against the raw bindings in `../preview1/nn.rs` with no crates. Error
//! handling follows the examples: `.expect(...)` panics (exit 134 under wacs, as a trap) where
//! theirs do, and the LLM errnos 100-103 are matched where theirs match them.
#![allow(dead_code)]

#[path = "../preview1/nn.rs"]
pub mod nn;

use std::io::BufRead;

pub use nn::{CONTEXT_FULL, END_OF_SEQUENCE, MODEL_NOT_FOUND, PROMPT_TOO_LONG, U8};

/// The examples' output buffer: "4096 tokens with average token length 6".
pub const MAX_OUTPUT_BUFFER_SIZE: usize = 4096 * 6;

/// A JSON object built key by key (the examples use serde_json's `json!({})`).
#[derive(Default, Clone)]
pub struct Options {
    fields: Vec<(String, String)>,
}

impl Options {
    /// Sets `key` to raw JSON text (a number, `true`, a quoted string, ...), replacing any value.
    pub fn set_raw(&mut self, key: &str, json: &str) {
        self.remove(key);
        self.fields.push((key.to_string(), json.to_string()));
    }
    pub fn set_str(&mut self, key: &str, text: &str) {
        self.set_raw(key, &quote(text));
    }
    pub fn remove(&mut self, key: &str) {
        self.fields.retain(|(k, _)| k != key);
    }
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
    /// `option` from the environment variable `var` parsed as JSON (the examples' serde_json::from_str),
    /// else `default` when given.
    pub fn from_env(&mut self, var: &str, option: &str, default: Option<&str>) {
        match std::env::var(var) {
            Ok(value) => {
                if !looks_like_json(&value) {
                    panic!("invalid value for {} option: {:?}", option, value);
                }
                self.set_raw(option, &value)
            }
            Err(_) => {
                if let Some(d) = default {
                    self.set_raw(option, d)
                }
            }
        }
    }
    pub fn to_json(&self) -> String {
        let fields: Vec<String> = self.fields.iter().map(|(k, v)| format!("{}:{}", quote(k), v)).collect();
        format!("{{{}}}", fields.join(","))
    }
}

/// What serde_json::from_str accepts for the values the examples read: numbers, booleans, strings.
fn looks_like_json(text: &str) -> bool {
    let t = text.trim();
    t == "true" || t == "false" || t == "null" || t.parse::<f64>().is_ok() || (t.len() >= 2 && t.starts_with('"') && t.ends_with('"'))
        || t.starts_with('{') || t.starts_with('[')
}

pub fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The raw JSON value of a top-level `key` in a flat object (enough for the metadata output).
pub fn json_field(json: &str, key: &str) -> String {
    let needle = format!("\"{}\"", key);
    let at = match json.find(&needle) {
        Some(at) => at + needle.len(),
        None => return "null".to_string(),
    };
    let rest = json[at..].trim_start().trim_start_matches(':').trim_start();
    if rest.starts_with('"') {
        let end = rest[1..].find('"').map(|e| e + 2).unwrap_or(rest.len());
        return rest[..end].to_string();
    }
    let end = rest.find(|c| c == ',' || c == '}').unwrap_or(rest.len());
    rest[..end].trim().to_string()
}

/// WasmEdge's wasi-nn crate names errnos in its errors; the examples print them with `{}`.
pub fn error_text(errno: u32) -> String {
    format!("Backend Error: {} ({})", nn::errno_name(errno), errno)
}

pub fn build_from_cache(name: &str, options: &Options) -> Result<u32, u32> {
    nn::load_by_name_with_config(name, &options.to_json())
}

/// `context.set_input(index, TensorType::U8, &[1], &data)` as most examples call it.
pub fn set_data(context: u32, index: u32, data: &[u8]) -> Result<(), u32> {
    nn::set_input(context, index, U8, &[1], data)
}

/// The examples' get_data_from_context: panics when get_output fails.
pub fn get_data(context: u32, index: u32) -> String {
    let mut buffer = vec![0u8; MAX_OUTPUT_BUFFER_SIZE];
    let size = nn::get_output(context, index, &mut buffer).unwrap_or_else(|e| panic!("Failed to get output: {}", error_text(e)));
    String::from_utf8_lossy(&buffer[..size.min(MAX_OUTPUT_BUFFER_SIZE)]).to_string()
}

pub fn get_single(context: u32, index: u32) -> String {
    let mut buffer = vec![0u8; MAX_OUTPUT_BUFFER_SIZE];
    let size = nn::get_output_single(context, index, &mut buffer).unwrap_or_else(|e| panic!("Failed to get single output: {}", error_text(e)));
    String::from_utf8_lossy(&buffer[..size.min(MAX_OUTPUT_BUFFER_SIZE)]).to_string()
}

/// Prints the metadata lines the examples print right after set_input.
pub fn print_input_metadata(context: u32) {
    let metadata = get_data(context, 1);
    println!("[INFO] llama_commit: {}", json_field(&metadata, "llama_commit"));
    println!("[INFO] llama_build_number: {}", json_field(&metadata, "llama_build_number"));
    println!("[INFO] Number of input tokens: {}", json_field(&metadata, "input_tokens"));
}

pub fn print_output_metadata(context: u32) {
    let metadata = get_data(context, 1);
    println!("[INFO] Number of input tokens: {}", json_field(&metadata, "input_tokens"));
    println!("[INFO] Number of output tokens: {}", json_field(&metadata, "output_tokens"));
}

/// The examples' interactive compute: prints what they print for each LLM errno; true when the
/// conversation should start over (context full, prompt too long).
pub fn compute_interactive(context: u32) -> bool {
    match nn::compute(context) {
        Ok(()) => false,
        Err(CONTEXT_FULL) => {
            println!("\n[INFO] Context full, we'll reset the context and continue.");
            true
        }
        Err(PROMPT_TOO_LONG) => {
            println!("\n[INFO] Prompt too long, we'll reset the context and continue.");
            true
        }
        Err(e) => {
            println!("\n[ERROR] {}", error_text(e));
            false
        }
    }
}

/// The examples' read_input: the next non-empty line, trimmed. At the end of stdin the examples
/// would spin forever; these guests end instead (None).
pub fn read_input() -> Option<String> {
    let stdin = std::io::stdin();
    loop {
        let mut answer = String::new();
        if stdin.lock().read_line(&mut answer).expect("Failed to read line") == 0 {
            return None;
        }
        if answer != "\n" && answer != "\r\n" {
            return Some(answer.trim().to_string());
        }
    }
}
