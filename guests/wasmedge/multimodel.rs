//! wasmedge-ggml/multimodel: two preloaded models ("llava" then "llama2") in one guest, each with
//! its own context; mmproj and image come from the environment (required, as in the example) and
//! are sent to the llava graph; the llama2 model summarises the llava answer.
mod ggml;
use ggml::*;

fn compute_and_report(context: u32) {
    compute_interactive(context);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mut options = Options::default();
    match std::env::var("mmproj") {
        Ok(v) => options.set_str("mmproj", &v),
        Err(_) => {
            eprintln!("Failed to get mmproj model.");
            std::process::exit(1);
        }
    }
    match std::env::var("image") {
        Ok(v) => options.set_str("image", &v),
        Err(_) => {
            eprintln!("Failed to get the target image.");
            std::process::exit(1);
        }
    }
    options.from_env("enable_log", "enable-log", Some("false"));
    options.from_env("n_gpu_layers", "n-gpu-layers", Some("0"));
    options.from_env("n_predict", "n-predict", None);
    options.set_raw("temp", "0.1");
    options.set_raw("ctx-size", "4096");
    let llava = build_from_cache("llava", &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    options.remove("mmproj");
    options.remove("image");
    let llama2 = build_from_cache("llama2", &options).unwrap_or_else(|e| panic!("Failed to build graph: {}", error_text(e)));
    let contexts = [llava, llama2].map(|g| nn::init_execution_context(g).unwrap_or_else(|e| panic!("Failed to init context: {}", error_text(e))));

    let system = "You are a helpful, respectful and honest assistant.";
    println!("USER:");
    let input = if args.len() >= 2 {
        println!("{}", args[1]);
        args[1].clone()
    } else {
        read_input().unwrap_or_default()
    };
    let prompt = format!("{}\nUSER:<image>\n{}\nASSISTANT:", system, input);
    set_data(contexts[0], 0, prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    compute_and_report(contexts[0]);
    let output = get_data(contexts[0], 0);
    println!("ASSISTANT (llava):\n{}", output.trim());

    let prompt = format!("[INST] <<SYS>> {} <</SYS>> Summarize the following text in 1 sentence: {} [/INST]", system, output.trim());
    set_data(contexts[1], 0, prompt.as_bytes()).unwrap_or_else(|e| panic!("Failed to set input: {}", error_text(e)));
    compute_and_report(contexts[1]);
    println!("ASSISTANT (llama2):\n{}", get_data(contexts[1], 0).trim());
}
