//! What LlamaEdge's apps share: the metadata JSON llama-core sends (every key it serialises, with
//! its defaults: load-time keys, "split-mode", "ubatch-size", an empty grammar, its own
//! "include_usage"), sent both at load and with set_input(ctx, 1) before each prompt, and the
//! compute_single loop until end_of_sequence.
#![allow(dead_code)]

#[path = "ggml.rs"]
mod ggml;
pub use ggml::*;
use std::io::Write;

pub struct Settings {
    pub ctx_size: u64,
    pub n_predict: i64,
    pub threads: u64,
    pub temp: f64,
}

impl Settings {
    /// `-c N`, `-n N`, `-t N`, `--temp X` anywhere in `args`; the rest is returned.
    pub fn from_args(args: &[String]) -> (Settings, Vec<String>) {
        let mut settings = Settings { ctx_size: 4096, n_predict: -1, threads: 2, temp: 0.8 };
        let mut rest = Vec::new();
        let mut i = 0;
        while i < args.len() {
            let value = args.get(i + 1).cloned().unwrap_or_default();
            match args[i].as_str() {
                "-c" | "--ctx-size" => settings.ctx_size = value.parse().expect("ctx-size"),
                "-n" | "--n-predict" => settings.n_predict = value.parse().expect("n-predict"),
                "-t" | "--threads" => settings.threads = value.parse().expect("threads"),
                "--temp" => settings.temp = value.parse().expect("temp"),
                _ => {
                    rest.push(args[i].clone());
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        (settings, rest)
    }

    pub fn metadata(&self) -> String {
        let mut m = Options::default();
        m.set_raw("enable-log", "false");
        m.set_raw("enable-debug-log", "false");
        m.set_raw("embedding", "false");
        m.set_raw("n-predict", &self.n_predict.to_string());
        m.set_raw("n-gpu-layers", "100");
        m.set_raw("use-mmap", "true");
        m.set_str("split-mode", "layer");
        m.set_raw("ctx-size", &self.ctx_size.to_string());
        m.set_raw("batch-size", "2048");
        m.set_raw("ubatch-size", "512");
        m.set_raw("threads", &self.threads.to_string());
        m.set_raw("temp", &self.temp.to_string());
        m.set_raw("top-p", "0.9");
        m.set_raw("repeat-penalty", "1.0");
        m.set_raw("presence-penalty", "0.0");
        m.set_raw("frequency-penalty", "0.0");
        m.set_str("grammar", "");
        m.set_raw("include_usage", "false");
        m.to_json()
    }
}

pub fn load(alias: &str, metadata: &str) -> u32 {
    let graph = nn::load_by_name_with_config(alias, metadata).unwrap_or_else(|e| panic!("Failed to load model {}: {}", alias, error_text(e)));
    nn::init_execution_context(graph).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e)))
}

/// Sets the metadata, then the prompt; streams the reply to stdout. Returns the errno that ended
/// it and the text streamed.
pub fn stream_reply(context: u32, metadata: &str, prompt: &str) -> (u32, String) {
    set_data(context, 1, metadata.as_bytes()).unwrap_or_else(|e| panic!("Failed to set metadata: {}", error_text(e)));
    set_data(context, 0, prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    let mut stdout = std::io::stdout();
    let mut text = String::new();
    let end = loop {
        match nn::compute_single(context) {
            Ok(()) => {}
            Err(e) => break e,
        }
        let token = get_single(context, 0);
        stdout.write_all(token.as_bytes()).unwrap();
        stdout.flush().unwrap();
        text.push_str(&token);
    };
    // llama-core reads the token counts from output 1 before ending the stream.
    let usage = get_single(context, 1);
    nn::fini_single(context).unwrap_or_else(|e| panic!("Failed to fini single: {}", error_text(e)));
    eprintln!("[usage] prompt_tokens: {}, completion_tokens: {}", json_field(&usage, "input_tokens"), json_field(&usage, "output_tokens"));
    (end, text)
}
