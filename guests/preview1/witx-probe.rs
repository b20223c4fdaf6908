//! A preview1 guest that exercises every `wasi_ephemeral_nn` function, the error paths, and the
//! WASI sandbox, one command per run (see `usage`). Tests run it through `wacs run`.
mod nn;

use std::io::Write;
use std::process::exit;

fn usage() -> ! {
    eprintln!(
        "usage: witx-probe <command> …
  compute <model|file:PATH> <out-type> <TYPE:DIMS:VALUES>…   inputs by index, e.g. F32:2x3:1,2,3,4,5,6
  overwrite <model> <out-type> <TYPE:DIMS:VALUES> <VALUES>    set_input 0, overwrite its bytes in place, compute
  generate <model> <prompt> [metadata-json]                   compute on text, print outputs 0 and 1
  stream <model> <config-json> <limit> <prompt>…              compute_single loop per prompt
  errors <model>                                              the error paths, one line per probe
  env | read <path> | exit <code> | grow <MiB> | spin | trap  the WASI sandbox
  cat                                                         echo stdin lines as they come"
    );
    exit(2)
}

fn fail(what: &str, errno: u32) -> ! {
    eprintln!("witx-probe: {} failed: {} ({})", what, nn::errno_name(errno), errno);
    exit(1)
}

fn type_code(name: &str) -> u8 {
    match name {
        "F16" => nn::F16,
        "F32" => nn::F32,
        "F64" => nn::F64,
        "U8" => nn::U8,
        "I32" => nn::I32,
        "I64" => nn::I64,
        _ => usage(),
    }
}

/// `TYPE:DIMS:VALUES` → (type, dims, little-endian bytes). F16 values are raw bits.
fn parse_tensor(spec: &str) -> (u8, Vec<u32>, Vec<u8>) {
    let parts: Vec<&str> = spec.splitn(3, ':').collect();
    if parts.len() != 3 {
        usage();
    }
    let ty = type_code(parts[0]);
    let dims: Vec<u32> = parts[1].split('x').map(|d| d.parse().unwrap_or_else(|_| usage())).collect();
    let mut data = Vec::new();
    for v in parts[2].split(',').filter(|v| !v.is_empty()) {
        match ty {
            nn::F16 => data.extend_from_slice(&v.parse::<u16>().unwrap_or_else(|_| usage()).to_le_bytes()),
            nn::F32 => data.extend_from_slice(&v.parse::<f32>().unwrap_or_else(|_| usage()).to_le_bytes()),
            nn::F64 => data.extend_from_slice(&v.parse::<f64>().unwrap_or_else(|_| usage()).to_le_bytes()),
            nn::U8 => data.push(v.parse::<u8>().unwrap_or_else(|_| usage())),
            nn::I32 => data.extend_from_slice(&v.parse::<i32>().unwrap_or_else(|_| usage()).to_le_bytes()),
            _ => data.extend_from_slice(&v.parse::<i64>().unwrap_or_else(|_| usage()).to_le_bytes()),
        }
    }
    (ty, dims, data)
}

fn format_values(out_type: &str, bytes: &[u8]) -> String {
    let words = |n: usize| bytes.chunks_exact(n);
    let values: Vec<String> = match out_type {
        "f16" => words(2).map(|c| u16::from_le_bytes([c[0], c[1]]).to_string()).collect(),
        "f32" => words(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string()).collect(),
        "f64" => words(8).map(|c| f64::from_le_bytes(c.try_into().unwrap()).to_string()).collect(),
        "i32" => words(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]).to_string()).collect(),
        "i64" => words(8).map(|c| i64::from_le_bytes(c.try_into().unwrap()).to_string()).collect(),
        "u8" => bytes.iter().map(|b| b.to_string()).collect(),
        "text" => return String::from_utf8_lossy(bytes).into_owned(),
        _ => usage(),
    };
    values.join(",")
}

/// Loads by name, or from a file the guest reads itself (`file:PATH`, needs --dir) with autodetect.
fn load_model(model: &str) -> u32 {
    if let Some(path) = model.strip_prefix("file:") {
        let bytes = std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("witx-probe: cannot read {}: {}", path, e);
            exit(1)
        });
        nn::load(&[&bytes], nn::ENCODING_AUTODETECT, nn::TARGET_CPU).unwrap_or_else(|e| fail("load", e))
    } else {
        nn::load_by_name(model).unwrap_or_else(|e| fail("load_by_name", e))
    }
}

/// Prints every output until the index runs out (invalid_argument).
fn print_outputs(context: u32, out_type: &str) {
    let mut buf = vec![0u8; 1 << 20];
    for index in 0.. {
        match nn::get_output(context, index, &mut buf) {
            Ok(n) => println!("output {}: {}", index, format_values(out_type, &buf[..n])),
            Err(nn::INVALID_ARGUMENT) if index > 0 => break,
            Err(e) => fail("get_output", e),
        }
    }
}

fn compute_command(args: &[String]) {
    if args.len() < 2 {
        usage();
    }
    let graph = load_model(&args[0]);
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| fail("init_execution_context", e));
    for (index, spec) in args[2..].iter().enumerate() {
        let (ty, dims, data) = parse_tensor(spec);
        nn::set_input(context, index as u32, ty, &dims, &data).unwrap_or_else(|e| fail("set_input", e));
    }
    nn::compute(context).unwrap_or_else(|e| fail("compute", e));
    print_outputs(context, &args[1]);
    nn::finalize_execution_context(context).unwrap_or_else(|e| fail("finalize_execution_context", e));
    nn::unload(graph).unwrap_or_else(|e| fail("unload", e));
}

/// set_input, then new values written over the same bytes before compute: shows when the host read them.
fn overwrite_command(args: &[String]) {
    if args.len() != 4 {
        usage();
    }
    let graph = load_model(&args[0]);
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| fail("init_execution_context", e));
    let (ty, dims, mut data) = parse_tensor(&args[2]);
    let type_name = args[2].split(':').next().unwrap_or("");
    let dims_text = args[2].split(':').nth(1).unwrap_or("");
    let (_, _, after) = parse_tensor(&format!("{}:{}:{}", type_name, dims_text, args[3]));
    nn::set_input(context, 0, ty, &dims, &data).unwrap_or_else(|e| fail("set_input", e));
    for (i, byte) in after.iter().enumerate() {
        // Volatile: the host may read these bytes later, which the compiler cannot see.
        unsafe { std::ptr::write_volatile(&mut data[i], *byte) };
    }
    nn::compute(context).unwrap_or_else(|e| fail("compute", e));
    print_outputs(context, &args[1]);
}

fn generate_command(args: &[String]) {
    if args.len() < 2 {
        usage();
    }
    let graph = nn::load_by_name(&args[0]).unwrap_or_else(|e| fail("load_by_name", e));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| fail("init_execution_context", e));
    nn::set_input(context, 0, nn::U8, &[1], args[1].as_bytes()).unwrap_or_else(|e| fail("set_input", e));
    if let Some(metadata) = args.get(2) {
        nn::set_input(context, 1, nn::U8, &[1], metadata.as_bytes()).unwrap_or_else(|e| fail("set_input metadata", e));
    }
    nn::compute(context).unwrap_or_else(|e| fail("compute", e));
    print_outputs(context, "text");
}

/// For each prompt: set_input (which ends a stream still running), then compute_single up to
/// `limit` tokens or to end_of_sequence, printing tokens, then get_output 0 and 1.
fn stream_command(args: &[String]) {
    if args.len() < 4 {
        usage();
    }
    let graph = if args[1].is_empty() {
        nn::load_by_name(&args[0]).unwrap_or_else(|e| fail("load_by_name", e))
    } else {
        nn::load_by_name_with_config(&args[0], &args[1]).unwrap_or_else(|e| fail("load_by_name_with_config", e))
    };
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| fail("init_execution_context", e));
    let limit: usize = args[2].parse().unwrap_or_else(|_| usage());
    let mut buf = vec![0u8; 4096];
    for prompt in &args[3..] {
        nn::set_input(context, 0, nn::U8, &[1], prompt.as_bytes()).unwrap_or_else(|e| fail("set_input", e));
        let mut tokens = Vec::new();
        let mut end = String::from("stopped");
        while tokens.len() < limit {
            match nn::compute_single(context) {
                Ok(()) => {
                    let n = nn::get_output_single(context, 0, &mut buf).unwrap_or_else(|e| fail("get_output_single", e));
                    tokens.push(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
                Err(e) => {
                    end = format!("{} {}", nn::errno_name(e), e);
                    break;
                }
            }
        }
        println!("tokens: {} ({})", tokens.join("|"), end);
        for index in 0..2 {
            match nn::get_output(context, index, &mut buf) {
                Ok(n) => println!("output {}: {}", index, String::from_utf8_lossy(&buf[..n])),
                Err(e) => println!("output {}: {}", index, nn::errno_name(e)),
            }
        }
    }
    nn::fini_single(context).unwrap_or_else(|e| fail("fini_single", e));
    match nn::get_output(context, 0, &mut buf) {
        Ok(n) => println!("after fini_single: {} bytes", n),
        Err(e) => println!("after fini_single: {}", nn::errno_name(e)),
    }
    nn::finalize_execution_context(context).unwrap_or_else(|e| fail("finalize_execution_context", e));
    nn::unload(graph).unwrap_or_else(|e| fail("unload", e));
}

fn probe(name: &str, errno: u32) {
    println!("{}: {}", name, nn::errno_name(errno));
}

/// The error paths, against a model `y = x·W + b` with x f32[N,3] and two outputs per row.
fn errors_command(args: &[String]) {
    use nn::sys;
    if args.is_empty() {
        usage();
    }
    let model = args[0].as_str();
    let end = nn::memory_end();
    let mut handle = 0u32;
    let out = nn::addr(&mut handle);
    let name = "no-such-model";
    let name_ptr = nn::addr(name.as_ptr());
    unsafe {
        probe("load_by_name unknown name", sys::load_by_name(name_ptr, name.len() as u32, out));
        probe("load_by_name name past memory", sys::load_by_name(end - 4, 16, out));
        probe("load_by_name length wraps", sys::load_by_name(name_ptr, u32::MAX, out));
        probe("load_by_name graph out-pointer past memory", sys::load_by_name(nn::addr(model.as_ptr()), model.len() as u32, end - 2));
        let invalid_utf8 = [0xffu8, 0xfe];
        probe("load_by_name invalid UTF-8", sys::load_by_name(nn::addr(invalid_utf8.as_ptr()), 2, out));
    }
    probe("load_by_name_with_config bad JSON", nn::load_by_name_with_config(model, "{not json").err().unwrap_or(0));
    probe("load_by_name_with_config JSON array", nn::load_by_name_with_config(model, "[1]").err().unwrap_or(0));
    let garbage = [1u8, 2, 3, 4];
    probe("load unparseable bytes", nn::load(&[&garbage], nn::ENCODING_ONNX, nn::TARGET_CPU).err().unwrap_or(0));
    probe("load no builders", nn::load(&[], nn::ENCODING_ONNX, nn::TARGET_CPU).err().unwrap_or(0));
    probe("load unknown encoding", nn::load(&[&garbage], 42, nn::TARGET_CPU).err().unwrap_or(0));
    probe("load unknown target", nn::load(&[&garbage], nn::ENCODING_ONNX, 9).err().unwrap_or(0));
    unsafe {
        probe("load builder array past memory", sys::load(end - 8, 2, nn::ENCODING_ONNX, nn::TARGET_CPU, out));
        let pairs = [[end - 2, 8u32]];
        probe("load builder bytes past memory", sys::load(nn::addr(pairs.as_ptr()), 1, nn::ENCODING_ONNX, nn::TARGET_CPU, out));
    }

    let graph = nn::load_by_name(model).unwrap_or_else(|e| fail("load_by_name", e));
    probe("init_execution_context unknown graph", nn::init_execution_context(graph + 1000).err().unwrap_or(0));
    probe("init_execution_context out-pointer past memory", unsafe { sys::init_execution_context(graph, end) });
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| fail("init_execution_context", e));

    let row = |values: [f32; 3]| -> Vec<u8> { values.iter().flat_map(|v| v.to_le_bytes()).collect() };
    let dims = [1u32, 3];
    let data = row([1.0, 2.0, 3.0]);
    probe("set_input unknown context", nn::set_input(context + 1000, 0, nn::F32, &dims, &data).err().unwrap_or(0));
    probe("set_input tensor record past memory", unsafe { sys::set_input(context, 0, end - 10) });
    let bad_dims = nn::Tensor { dims_ptr: end - 4, dims_len: 2, ty: nn::F32, data_ptr: nn::addr(data.as_ptr()), data_len: 12 };
    probe("set_input dimensions past memory", unsafe { sys::set_input(context, 0, nn::addr(&bad_dims)) });
    let bad_data = nn::Tensor { dims_ptr: nn::addr(dims.as_ptr()), dims_len: 2, ty: nn::F32, data_ptr: end - 8, data_len: 12 };
    probe("set_input data past memory", unsafe { sys::set_input(context, 0, nn::addr(&bad_data)) });
    probe("set_input unknown tensor type", nn::set_input(context, 0, 9, &dims, &data).err().unwrap_or(0));
    probe("set_input data shorter than dimensions", nn::set_input(context, 0, nn::F32, &[2, 3], &data).err().unwrap_or(0));
    let mut buf = [0u8; 64];
    probe("get_output before compute", nn::get_output(context, 0, &mut buf).err().unwrap_or(0));

    // The second set_input of an index replaces the first.
    nn::set_input(context, 0, nn::F32, &dims, &data).unwrap_or_else(|e| fail("set_input", e));
    nn::set_input(context, 0, nn::F32, &dims, &row([4.0, 5.0, 6.0])).unwrap_or_else(|e| fail("set_input", e));
    nn::compute(context).unwrap_or_else(|e| fail("compute", e));
    let n = nn::get_output(context, 0, &mut buf).unwrap_or_else(|e| fail("get_output", e));
    println!("set_input twice, output 0: {}", format_values("f32", &buf[..n]));
    // Inputs stay set: a second compute without set_input gives the same result.
    nn::compute(context).unwrap_or_else(|e| fail("compute again", e));
    let n = nn::get_output(context, 0, &mut buf).unwrap_or_else(|e| fail("get_output", e));
    println!("compute again, output 0: {}", format_values("f32", &buf[..n]));

    let mut written = 0u32;
    let written_ptr = nn::addr(&mut written);
    let buf_ptr = nn::addr(buf.as_ptr());
    unsafe {
        let errno = sys::get_output(context, 0, buf_ptr, 4, written_ptr);
        println!("get_output buffer too small: {} (needs {})", nn::errno_name(errno), written);
        probe("get_output buffer past memory", sys::get_output(context, 0, end - 4, 64, written_ptr));
        probe("get_output written out-pointer past memory", sys::get_output(context, 0, buf_ptr, 64, end - 1));
        probe("get_output index out of range", sys::get_output(context, 7, buf_ptr, 64, written_ptr));
    }
    probe("get_output_single before compute_single", nn::get_output_single(context, 0, &mut buf).err().unwrap_or(0));
    probe("compute_single on a backend that does not stream", nn::compute_single(context).err().unwrap_or(0));
    probe("fini_single with no stream", nn::fini_single(context).err().unwrap_or(0));

    probe("finalize_execution_context", nn::finalize_execution_context(context).err().unwrap_or(0));
    probe("finalize_execution_context again", nn::finalize_execution_context(context).err().unwrap_or(0));
    probe("compute after finalize", nn::compute(context).err().unwrap_or(0));
    probe("unload", nn::unload(graph).err().unwrap_or(0));
    probe("init_execution_context after unload", nn::init_execution_context(graph).err().unwrap_or(0));
    probe("unload again", nn::unload(graph).err().unwrap_or(0));
}

fn sandbox_command(command: &str, args: &[String]) {
    match command {
        "env" => {
            println!("args: {}", std::env::args().collect::<Vec<_>>().join(" | "));
            for (key, value) in std::env::vars() {
                println!("env {}={}", key, value);
            }
        }
        "read" => match std::fs::read_to_string(args.get(0).unwrap_or_else(|| usage())) {
            Ok(text) => print!("{}", text),
            Err(e) => {
                println!("cannot read: {}", e);
                exit(3)
            }
        },
        "cat" => {
            for line in std::io::stdin().lines() {
                match line {
                    Ok(line) => println!("line: {}", line),
                    Err(e) => {
                        println!("stdin error: {}", e);
                        exit(3)
                    }
                }
            }
        }
        "exit" => exit(args.get(0).and_then(|c| c.parse().ok()).unwrap_or_else(|| usage())),
        "grow" => {
            let mib: usize = args.get(0).and_then(|m| m.parse().ok()).unwrap_or_else(|| usage());
            // 1 MiB at a time, like a guest that keeps growing, so memory fills up to any cap.
            let blocks: Vec<Vec<u8>> = (0..mib).map(|_| vec![1u8; 1 << 20]).collect();
            println!("allocated {} MiB (checksum {})", mib, blocks.iter().map(|b| b.iter().step_by(4096).map(|&x| x as usize).sum::<usize>()).sum::<usize>());
        }
        "spin" => {
            print!("spinning");
            std::io::stdout().flush().unwrap();
            let mut n = 0u64;
            loop {
                // A volatile write the optimiser cannot remove: the loop really runs.
                unsafe { core::ptr::write_volatile(&mut n, n.wrapping_add(1)) };
            }
        }
        _ => core::arch::wasm32::unreachable(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => usage(),
    };
    match command {
        "compute" => compute_command(rest),
        "overwrite" => overwrite_command(rest),
        "generate" => generate_command(rest),
        "stream" => stream_command(rest),
        "errors" => errors_command(rest),
        "env" | "read" | "cat" | "exit" | "grow" | "spin" | "trap" => sandbox_command(command, rest),
        _ => usage(),
    }
}
