//! One line per WasmEdge GGML behaviour a guest can observe, for the tests to compare with what
//! WasmEdge's plugin does: `ggml-checks <model> <prompt>`.
mod ggml;
use ggml::*;

fn errno_of<T>(result: Result<T, u32>) -> &'static str {
    match result {
        Ok(_) => "success",
        Err(e) => nn::errno_name(e),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (name, prompt) = (&args[1], &args[2]);

    // Config keys: unknown ones are ignored, a known key with a wrong type is refused, bad JSON is invalid_encoding.
    let graph = nn::load_by_name_with_config(name, r#"{"llama3":true,"include_usage":false,"ctx-size":64,"n-gpu-layers":0}"#);
    println!("config with unknown keys: {}", errno_of(graph));
    println!("config ctx-size as text: {}", errno_of(nn::load_by_name_with_config(name, r#"{"ctx-size":"64"}"#)));
    println!("config not JSON: {}", errno_of(nn::load_by_name_with_config(name, "{ctx-size")));
    println!("unregistered name: {}", errno_of(nn::load_by_name("no-such-model")));
    let graph = graph.unwrap();
    let context = nn::init_execution_context(graph).unwrap();

    // Output 1 right after set_input: the prompt's token count, no compute yet.
    set_data(context, 0, prompt.as_bytes()).unwrap();
    let before = get_data(context, 1);
    println!("metadata before compute: input_tokens {} output_tokens {}", json_field(&before, "input_tokens"), json_field(&before, "output_tokens"));
    println!("metadata keys: {}", ["input_tokens", "output_tokens", "llama_build_number", "llama_commit"].iter().all(|k| before.contains(&format!("\"{}\"", k))));
    let mut small = [0u8; 4];
    let mut written = 0u32;
    let errno = unsafe { nn::sys::get_output(context, 1, nn::addr(small.as_mut_ptr()), 4, nn::addr(&mut written)) };
    println!("metadata into 4 bytes: {} (needs {}, metadata is {})", nn::errno_name(errno), written, before.len());

    // Load-time keys in per-compute metadata: accepted; unknown ones ignored; a wrong type refused.
    let metadata = r#"{"n-gpu-layers":0,"ctx-size":64,"batch-size":64,"threads":1,"embedding":false,"n-predict":3,"include_usage":true,"split-mode":"layer","ubatch-size":512,"grammar":""}"#;
    println!("metadata with load-time keys: {}", errno_of(set_data(context, 1, metadata.as_bytes()).and_then(|_| nn::compute(context))));
    let after = get_data(context, 1);
    println!("after compute: output_tokens {}", json_field(&after, "output_tokens"));
    set_data(context, 1, br#"{"temp":"hot"}"#).unwrap();
    println!("metadata temp as text: {}", errno_of(nn::compute(context)));
    set_data(context, 1, b"{temp").unwrap();
    println!("metadata not JSON: {}", errno_of(nn::compute(context)));

    // A context that fills: context_full, and the text generated so far stays readable.
    set_data(context, 1, br#"{"n-predict":-1,"ctx-size":32}"#).unwrap();
    set_data(context, 0, prompt.as_bytes()).unwrap();
    println!("generate until the context is full: {}", errno_of(nn::compute(context)));
    let partial = get_data(context, 0);
    let counts = get_data(context, 1);
    println!(
        "partial output: {} bytes; input_tokens {} + output_tokens {} = ctx-size 32",
        partial.len(),
        json_field(&counts, "input_tokens"),
        json_field(&counts, "output_tokens")
    );
    // A prompt that alone does not fit.
    let long = prompt.repeat(40);
    set_data(context, 0, long.as_bytes()).unwrap();
    println!("prompt longer than the context: {}", errno_of(nn::compute(context)));

    // set_input twice: the same token count, and a compute after it starts afresh.
    set_data(context, 1, br#"{"n-predict":4,"ctx-size":64,"temp":0}"#).unwrap();
    set_data(context, 0, prompt.as_bytes()).unwrap();
    nn::compute(context).unwrap();
    let first = get_data(context, 0);
    set_data(context, 0, prompt.as_bytes()).unwrap();
    let once = json_field(&get_data(context, 1), "input_tokens");
    set_data(context, 0, prompt.as_bytes()).unwrap();
    let twice = json_field(&get_data(context, 1), "input_tokens");
    nn::compute(context).unwrap();
    println!("set_input twice: input_tokens {} {}; greedy output repeats: {}", once, twice, first == get_data(context, 0));

    // unload, then the same name loads again; the context's outputs outlive the graph handle.
    println!("unload: {}", errno_of(nn::unload(graph)));
    println!("get_output after unload: {}", errno_of(nn::get_output(context, 0, &mut vec![0u8; 4096])));
    println!("finalize_execution_context: {}", errno_of(nn::finalize_execution_context(context)));
    let again = nn::load_by_name_with_config(name, r#"{"ctx-size":64,"n-predict":2}"#);
    println!("load again after unload: {}", errno_of(again));
    let context = nn::init_execution_context(again.unwrap()).unwrap();
    set_data(context, 0, prompt.as_bytes()).unwrap();
    println!("compute on the reloaded graph: {}", errno_of(nn::compute(context)));
}
