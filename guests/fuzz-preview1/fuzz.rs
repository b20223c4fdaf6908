//! fuzz-preview1: a preview1 guest that attacks the host on purpose, for the hardening tests. One
//! command per run (see `usage`); every wasi_ephemeral_nn call goes through the raw witx ABI.
//!
//! The fuzz command calls every wasi_ephemeral_nn function with pointers, lengths, handles and
//! tensor records drawn from a seeded generator: inside memory, straddling its end, past it, and
//! valid ones, so calls get past the argument checks too. Whatever the host writes back goes either
//! into a scratch area or past the end of memory, so the guest never corrupts itself: any failure
//! seen is the host's.
#[path = "../preview1/nn.rs"]
mod nn;

use nn::{addr, errno_name, memory_end, sys, Tensor};
use std::collections::BTreeMap;
use std::io::Write;
use std::process::exit;

fn usage() -> ! {
    eprintln!(
        "usage: fuzz-preview1 <command> …
  fuzz <model> <seed> <calls> [model-file]   random calls into every wasi_ephemeral_nn function, then a good compute
  misuse <model>                             each misuse once (one line each), a good compute after each group
  compute <model> <x0,x1,x2;…> [--out PATH] [--repeat N]   y = lin(x) for each row, printed (or written to PATH)
  hoard <model> <count> <MiB>                set_input <count> inputs of <MiB> each and keep them
  configs <model> <count>                    load_by_name_with_config with <count> distinct configs, unloading each
  read <path> | write <path> <text> | list <dir>   files
  symlink <target> <link>                    path_symlink under the first preopened dir (link relative to it)
  sockets [port]                             every preview1 socket call, and std::net, must fail
  raise <signal> | close <fd> | renumber <fd> <to>   calls that reach past the guest on node:wasi
  wasi-fuzz <seed> <calls>                   random calls into wasi_snapshot_preview1 on fds 3-9"
    );
    exit(2)
}

// ---- the linear model the tests register as <model>: y = x · W + b, W 3x2 ----

const INPUT: [f32; 3] = [1.0, 2.0, 3.0];

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

fn join(values: &[f32]) -> String {
    values.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

/// Loads `model` by name and computes rows of x (3 values each); the output's values.
fn good_compute(model: &str, rows: &[f32]) -> Result<Vec<f32>, (&'static str, u32)> {
    let graph = nn::load_by_name(model).map_err(|e| ("load_by_name", e))?;
    let context = nn::init_execution_context(graph).map_err(|e| ("init_execution_context", e))?;
    nn::set_input(context, 0, nn::F32, &[(rows.len() / 3) as u32, 3], &f32_bytes(rows)).map_err(|e| ("set_input", e))?;
    nn::compute(context).map_err(|e| ("compute", e))?;
    let mut out = vec![0u8; 4096];
    let n = nn::get_output(context, 0, &mut out).map_err(|e| ("get_output", e))?;
    nn::finalize_execution_context(context).map_err(|e| ("finalize_execution_context", e))?;
    nn::unload(graph).map_err(|e| ("unload", e))?;
    Ok(f32_values(&out[..n]))
}

/// Prints `good: <values>` for x = INPUT, or the step that failed; the host must still serve.
fn print_good(model: &str) {
    match good_compute(model, &INPUT) {
        Ok(y) => println!("good: {}", join(&y)),
        Err((step, errno)) => println!("good: {} failed: {}", step, errno_name(errno)),
    }
}

// ---- fuzz ----

/// xorshift64*: small, seedable, and the same in every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % n as u64) as u32
    }
    fn u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
}

const SCRATCH_BYTES: usize = 1 << 16;
/// Where the host may write: out-pointers and output buffers point here or past the end of memory.
static mut SCRATCH: [u8; SCRATCH_BYTES] = [0; SCRATCH_BYTES];
/// Room kept at the end of the scratch area for what the host writes at a scratch pointer.
const SCRATCH_SLACK: u32 = 4096;

struct Fuzzer {
    rng: Rng,
    model: String,
    model_bytes: Vec<u8>,
    graphs: Vec<u32>,
    contexts: Vec<u32>,
}

const NAMES: [&str; 9] = ["", "../lin", "/etc/passwd", "lin\0", "LIN", "lin ", "no-such-model", "..", "/"];
const CONFIGS: [&str; 10] = [
    "",
    "{}",
    "null",
    "[1,2]",
    "{\"__proto__\":{\"polluted\":true}}",
    "{\"constructor\":{\"prototype\":{\"polluted\":true}}}",
    "{\"intra_op_num_threads\":1}",
    "{\"intra_op_num_threads\":-1}",
    "{\"unknown\":1}",
    "{\"a\":{\"b\":{\"c\":[1,2,{\"d\":null}]}}}",
];

impl Fuzzer {
    fn scratch(&self) -> u32 {
        unsafe { addr(SCRATCH.as_ptr()) }
    }

    /// An address the host may write to: inside scratch (with slack), straddling the end of memory, or past it.
    fn out_ptr(&mut self) -> u32 {
        let end = memory_end();
        match self.rng.below(20) {
            0..=15 => self.scratch() + self.rng.below(SCRATCH_BYTES as u32 - SCRATCH_SLACK),
            16 => end - 1 - self.rng.below(3),
            17 => end.wrapping_add(self.rng.below(1 << 20)),
            18 => u32::MAX - self.rng.below(8),
            _ => end.wrapping_add(self.rng.u32() % (u32::MAX - end)),
        }
    }

    /// An address the host only reads: anywhere in memory, at its edge, or past it.
    fn in_ptr(&mut self) -> u32 {
        let end = memory_end();
        match self.rng.below(10) {
            0..=4 => self.scratch() + self.rng.below(SCRATCH_BYTES as u32),
            5 => self.rng.below(end),
            6 => 0,
            7 => end - self.rng.below(16),
            8 => u32::MAX - self.rng.below(8),
            _ => self.rng.u32(),
        }
    }

    fn len(&mut self) -> u32 {
        match self.rng.below(10) {
            0 => 0,
            1..=3 => self.rng.below(64),
            4..=5 => self.rng.below(SCRATCH_BYTES as u32),
            6 => [0x7fff_ffff, 0xffff_ffff, 0x2000_0000, 0x4000_0001, 0x8000_0000][self.rng.below(5) as usize],
            7 => memory_end(),
            _ => self.rng.u32(),
        }
    }

    fn graph_handle(&mut self) -> u32 {
        if !self.graphs.is_empty() && self.rng.chance(75) {
            return self.graphs[self.rng.below(self.graphs.len() as u32) as usize];
        }
        self.any_handle()
    }

    fn context_handle(&mut self) -> u32 {
        if !self.contexts.is_empty() && self.rng.chance(75) {
            return self.contexts[self.rng.below(self.contexts.len() as u32) as usize];
        }
        self.any_handle()
    }

    fn any_handle(&mut self) -> u32 {
        match self.rng.below(4) {
            0 => self.rng.below(8),
            1 => u32::MAX - self.rng.below(2),
            2 => 0x8000_0000,
            _ => self.rng.u32(),
        }
    }

    fn index(&mut self) -> u32 {
        match self.rng.below(10) {
            0..=6 => 0,
            7 | 8 => 1 + self.rng.below(2),
            _ => self.rng.u32(),
        }
    }

    /// Writes bytes into scratch at a random offset (leaving the slack), returning the address.
    fn place(&mut self, bytes: &[u8]) -> u32 {
        let room = SCRATCH_BYTES - SCRATCH_SLACK as usize;
        let bytes = &bytes[..bytes.len().min(room)];
        let offset = self.rng.below((room - bytes.len()) as u32 + 1) as usize;
        unsafe { SCRATCH[offset..offset + bytes.len()].copy_from_slice(bytes) };
        self.scratch() + offset as u32
    }

    fn scribble(&mut self) {
        for _ in 0..64 {
            let at = self.rng.below(SCRATCH_BYTES as u32) as usize;
            unsafe { SCRATCH[at] = self.rng.u32() as u8 };
        }
    }

    /// A tensor record: usually a plausible one for the model (so compute runs), else random fields.
    fn tensor_record(&mut self) -> u32 {
        let rows = 1 + self.rng.below(4);
        let mut dims: Vec<u32> = vec![rows, 3];
        let mut ty = nn::F32;
        let mut data = f32_bytes(&(0..rows * 3).map(|i| (i as f32) - 2.5).collect::<Vec<_>>());
        if self.rng.chance(35) {
            match self.rng.below(6) {
                0 => ty = self.rng.below(8) as u8,
                1 => dims = (0..self.rng.below(20)).map(|_| self.rng.below(5)).collect(),
                2 => dims = vec![65536, 65536],
                3 => dims = vec![u32::MAX, u32::MAX, u32::MAX, 0],
                4 => data.truncate(self.rng.below(data.len() as u32) as usize),
                _ => dims.push(1),
            }
        }
        let dims_bytes: Vec<u8> = dims.iter().flat_map(|d| d.to_le_bytes()).collect();
        let mut record = Tensor { dims_ptr: self.place(&dims_bytes), dims_len: dims.len() as u32, ty, data_ptr: self.place(&data), data_len: data.len() as u32 };
        if self.rng.chance(20) {
            match self.rng.below(4) {
                0 => record.dims_ptr = self.in_ptr(),
                1 => record.dims_len = self.len(),
                2 => record.data_ptr = self.in_ptr(),
                _ => record.data_len = self.len(),
            }
        }
        let bytes = unsafe { std::slice::from_raw_parts(&record as *const Tensor as *const u8, 20) }.to_vec();
        if self.rng.chance(10) { self.in_ptr() } else { self.place(&bytes) }
    }

    /// A graph builder array: the real model, a mutated copy, or random (ptr, len) pairs.
    fn builders(&mut self) -> (u32, u32) {
        let count = if self.rng.chance(80) { 1 + self.rng.below(2) } else { self.len() };
        let mut pairs: Vec<u8> = Vec::new();
        for _ in 0..count.min(8) {
            let (ptr, len) = if !self.model_bytes.is_empty() && self.rng.chance(50) {
                let mut copy = self.model_bytes.clone();
                for _ in 0..self.rng.below(4) {
                    let at = self.rng.below(copy.len() as u32) as usize;
                    copy[at] = self.rng.u32() as u8;
                }
                (self.place(&copy), copy.len() as u32)
            } else {
                (self.in_ptr(), self.len())
            };
            pairs.extend_from_slice(&ptr.to_le_bytes());
            pairs.extend_from_slice(&len.to_le_bytes());
        }
        let at = if self.rng.chance(10) { self.in_ptr() } else { self.place(&pairs) };
        (at, count)
    }

    fn text(&mut self, choices: &[&str]) -> (u32, u32) {
        if self.rng.chance(15) {
            return (self.in_ptr(), self.len());
        }
        let pick = choices[self.rng.below(choices.len() as u32) as usize];
        let text = if pick == "lin" { self.model.clone() } else { pick.to_string() };
        (self.place(text.as_bytes()), text.len() as u32)
    }

    fn name(&mut self) -> (u32, u32) {
        let model = self.model.clone();
        let mut names: Vec<&str> = NAMES.to_vec();
        names.push(&model);
        names.push(&model);
        let result = self.text(&names);
        result
    }

    /// Calls one function; returns its name and errno.
    fn call(&mut self) -> (&'static str, u32) {
        self.scribble();
        let out = self.out_ptr();
        unsafe {
            match self.rng.below(12) {
                0 => {
                    let (builders, count) = self.builders();
                    let encoding = if self.rng.chance(80) { self.rng.below(8) } else { self.rng.u32() };
                    let target = if self.rng.chance(80) { self.rng.below(5) } else { self.rng.u32() };
                    ("load", self.record_graph(sys::load(builders, count, encoding, target, out), out))
                }
                1 => {
                    let (name, len) = self.name();
                    ("load_by_name", self.record_graph(sys::load_by_name(name, len, out), out))
                }
                2 => {
                    let (name, len) = self.name();
                    let (config, config_len) = self.text(&CONFIGS);
                    ("load_by_name_with_config", self.record_graph(sys::load_by_name_with_config(name, len, config, config_len, out), out))
                }
                3 => {
                    let graph = self.graph_handle();
                    let errno = sys::init_execution_context(graph, out);
                    if errno == 0 {
                        self.contexts.push(read_u32(out));
                    }
                    ("init_execution_context", errno)
                }
                4 => {
                    let (context, index, record) = (self.context_handle(), self.index(), self.tensor_record());
                    ("set_input", sys::set_input(context, index, record))
                }
                5 => {
                    // Half the computes get a fresh input at index 0 first, so they reach the engine.
                    let context = self.context_handle();
                    if self.rng.chance(50) {
                        let record = self.tensor_record();
                        sys::set_input(context, 0, record);
                    }
                    ("compute", sys::compute(context))
                }
                6 | 7 => {
                    let (context, index, max, single) = (self.context_handle(), self.index(), self.buffer_len(out), self.rng.chance(30));
                    let written = self.out_ptr();
                    if single {
                        ("get_output_single", sys::get_output_single(context, index, out, max, written))
                    } else {
                        ("get_output", sys::get_output(context, index, out, max, written))
                    }
                }
                8 => ("compute_single", sys::compute_single(self.context_handle())),
                9 => ("fini_single", sys::fini_single(self.context_handle())),
                10 => {
                    let graph = self.graph_handle();
                    let errno = sys::unload(graph);
                    if errno == 0 {
                        self.graphs.retain(|g| *g != graph);
                    }
                    ("unload", errno)
                }
                _ => {
                    let context = self.context_handle();
                    let errno = sys::finalize_execution_context(context);
                    if errno == 0 {
                        self.contexts.retain(|c| *c != context);
                    }
                    ("finalize_execution_context", errno)
                }
            }
        }
    }

    /// A buffer length for an output written at `at`: within scratch when `at` is in scratch, else anything.
    fn buffer_len(&mut self, at: u32) -> u32 {
        let scratch = self.scratch();
        if at >= scratch && at < scratch + SCRATCH_BYTES as u32 {
            let room = scratch + SCRATCH_BYTES as u32 - at;
            if self.rng.chance(70) { self.rng.below(room + 1) } else { room }
        } else {
            self.len()
        }
    }

    fn record_graph(&mut self, errno: u32, out: u32) -> u32 {
        if errno == 0 {
            self.graphs.push(read_u32(out));
        }
        errno
    }
}

fn read_u32(at: u32) -> u32 {
    unsafe { std::ptr::read_unaligned(at as usize as *const u32) }
}

fn fuzz_command(args: &[String]) {
    if args.len() < 3 {
        usage();
    }
    let model_bytes = match args.get(3) {
        Some(path) => std::fs::read(path).unwrap_or_else(|e| {
            eprintln!("fuzz-preview1: cannot read {}: {}", path, e);
            exit(1)
        }),
        None => Vec::new(),
    };
    let seed: u64 = args[1].parse().unwrap_or_else(|_| usage());
    let calls: u32 = args[2].parse().unwrap_or_else(|_| usage());
    let mut fuzzer = Fuzzer { rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1), model: args[0].clone(), model_bytes, graphs: Vec::new(), contexts: Vec::new() };
    let mut counts: BTreeMap<(&'static str, u32), u32> = BTreeMap::new();
    for i in 0..calls {
        // Keep a valid graph and context around, so calls with valid handles reach the engine.
        if i % 16 == 0 {
            if let Ok(graph) = nn::load_by_name(&fuzzer.model) {
                fuzzer.graphs.push(graph);
                if let Ok(context) = nn::init_execution_context(graph) {
                    fuzzer.contexts.push(context);
                }
            }
        }
        let (name, errno) = fuzzer.call();
        *counts.entry((name, errno)).or_insert(0) += 1;
    }
    for ((name, errno), count) in &counts {
        println!("{} {} {}", name, errno_name(*errno), count);
    }
    println!("calls {}", calls);
    print_good(&fuzzer.model);
}

// ---- misuse ----

/// One line per misuse: `<case>: <errno name>`.
fn report(case: &str, errno: u32) {
    println!("{}: {}", case, errno_name(errno));
}

fn errno_of(result: Result<(), u32>) -> u32 {
    result.err().unwrap_or(0)
}

fn misuse_command(args: &[String]) {
    let model = args.get(0).unwrap_or_else(|| usage()).as_str();
    let graph = nn::load_by_name(model).unwrap_or_else(|e| {
        println!("load_by_name {}: {}", model, errno_name(e));
        exit(1)
    });
    let fresh = || nn::init_execution_context(graph).unwrap_or_else(|e| {
        println!("init_execution_context: {}", errno_name(e));
        exit(1)
    });
    let x = f32_bytes(&INPUT);

    // Compute before any set_input.
    let context = fresh();
    report("compute before set_input", errno_of(nn::compute(context)));
    let mut buf = [0u8; 64];
    report("get_output after the failed compute", nn::get_output(context, 0, &mut buf).err().unwrap_or(0));
    // Wrong type, shape and length, each on a context that then computes correctly.
    report("set_input wrong length (8 bytes for [1,3] F32)", errno_of(nn::set_input(context, 0, nn::F32, &[1, 3], &x[..8])));
    report("set_input 4 GiB dims product ([65536,65536] U8, 1 byte)", errno_of(nn::set_input(context, 0, nn::U8, &[65536, 65536], &[7])));
    report("set_input 4 GiB dims product ([65536,16384] F32, 12 bytes)", errno_of(nn::set_input(context, 0, nn::F32, &[65536, 16384], &x)));
    report("set_input dims product past 2^64 ([2^32-1]x4 F32)", errno_of(nn::set_input(context, 0, nn::F32, &[u32::MAX; 4], &x)));
    report("set_input unknown type code 9", errno_of(nn::set_input(context, 0, 9, &[1, 3], &x)));
    report("set_input rank 17 (valid length)", errno_of(nn::set_input(context, 0, nn::F32, &[1; 17], &x[..4])));
    report("compute with the rank-17 input", errno_of(nn::compute(context)));
    report("set_input wrong type (I32 for F32)", errno_of(nn::set_input(context, 0, nn::I32, &[1, 3], &x)));
    report("compute with the wrong type", errno_of(nn::compute(context)));
    report("set_input wrong shape ([1,4] F32)", errno_of(nn::set_input(context, 0, nn::F32, &[1, 4], &f32_bytes(&[1.0, 2.0, 3.0, 4.0]))));
    report("compute with the wrong shape", errno_of(nn::compute(context)));
    report("set_input wrong rank ([3] F32)", errno_of(nn::set_input(context, 0, nn::F32, &[3], &x)));
    report("compute with the wrong rank", errno_of(nn::compute(context)));
    // The same context, now given a good input: inputs persist per index, so this replaces the bad one.
    report("set_input good", errno_of(nn::set_input(context, 0, nn::F32, &[1, 3], &x)));
    report("compute good", errno_of(nn::compute(context)));
    let n = nn::get_output(context, 0, &mut buf).unwrap_or(0);
    println!("same context after misuse: {}", join(&f32_values(&buf[..n])));
    let context = fresh();
    report("set_input at index 5 only", errno_of(nn::set_input(context, 5, nn::F32, &[1, 3], &x)));
    report("compute with an input the model lacks", errno_of(nn::compute(context)));

    // Unknown handles.
    report("init_execution_context unknown graph 4242", errno_of(nn::init_execution_context(4242).map(|_| ())));
    report("set_input unknown context 4242", errno_of(nn::set_input(4242, 0, nn::F32, &[1, 3], &x)));
    report("compute unknown context 4242", errno_of(nn::compute(4242)));
    report("get_output unknown context 4242", nn::get_output(4242, 0, &mut buf).err().unwrap_or(0));
    report("compute_single unknown context 4242", errno_of(nn::compute_single(4242)));
    report("fini_single unknown context 4242", errno_of(nn::fini_single(4242)));
    report("unload unknown graph 4242", errno_of(nn::unload(4242)));
    report("finalize_execution_context unknown context 4242", errno_of(nn::finalize_execution_context(4242)));
    report("unload handle u32::MAX", errno_of(nn::unload(u32::MAX)));

    // Use after unload: the context keeps its graph; new contexts cannot be made.
    let kept = fresh();
    report("unload", errno_of(nn::unload(graph)));
    report("init_execution_context after unload", errno_of(nn::init_execution_context(graph).map(|_| ())));
    report("unload again", errno_of(nn::unload(graph)));
    report("set_input on a context of the unloaded graph", errno_of(nn::set_input(kept, 0, nn::F32, &[1, 3], &x)));
    report("compute on a context of the unloaded graph", errno_of(nn::compute(kept)));
    let n = nn::get_output(kept, 0, &mut buf).unwrap_or(0);
    println!("context of the unloaded graph: {}", join(&f32_values(&buf[..n])));
    report("finalize_execution_context", errno_of(nn::finalize_execution_context(kept)));
    report("compute after finalize", errno_of(nn::compute(kept)));
    report("get_output after finalize", nn::get_output(kept, 0, &mut buf).err().unwrap_or(0));
    print_good(model);

    // Garbage model bytes for every encoding the witx ABI names.
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    for (encoding, name) in ["openvino", "onnx", "tensorflow", "pytorch", "tensorflowlite", "autodetect", "ggml"].iter().enumerate() {
        report(&format!("load garbage as {}", name), errno_of(nn::load(&[&garbage], encoding as u32, nn::TARGET_CPU).map(|_| ())));
    }
    let mut gguf = b"GGUF".to_vec();
    gguf.extend_from_slice(&garbage);
    report("load GGUF magic then garbage as ggml", errno_of(nn::load(&[&gguf], nn::ENCODING_GGML, nn::TARGET_CPU).map(|_| ())));
    report("load GGUF magic then garbage as autodetect", errno_of(nn::load(&[&gguf], nn::ENCODING_AUTODETECT, nn::TARGET_CPU).map(|_| ())));
    report("load truncated JSON as tensorflow", errno_of(nn::load(&[b"{\"modelTopology\":{\"node\":[", b"{}"], 2, nn::TARGET_CPU).map(|_| ())));
    report("load broken PMML as autodetect", errno_of(nn::load(&[b"<?xml version=\"1.0\"?><PMML version=\"4.4\"><TreeModel><Node"], nn::ENCODING_AUTODETECT, nn::TARGET_CPU).map(|_| ())));
    report("load ml.js JSON of no known model as autodetect", errno_of(nn::load(&[b"{\"name\":\"RandomForest\",\"trees\":[1,2,3]}"], nn::ENCODING_AUTODETECT, nn::TARGET_CPU).map(|_| ())));
    report("load 8 empty builders", errno_of(nn::load(&[&[], &[], &[], &[], &[], &[], &[], &[]], nn::ENCODING_ONNX, nn::TARGET_CPU).map(|_| ())));
    print_good(model);
}

// ---- compute (for the concurrency test) ----

fn compute_command(args: &[String]) {
    let model = args.get(0).unwrap_or_else(|| usage());
    let rows: Vec<f32> = args.get(1).unwrap_or_else(|| usage()).split(|c| c == ',' || c == ';').map(|v| v.parse().unwrap_or_else(|_| usage())).collect();
    let mut out_path = None;
    let mut repeat = 1;
    let mut i = 2;
    while i < args.len() {
        match args[i].as_str() {
            "--out" => out_path = args.get(i + 1).cloned(),
            "--repeat" => repeat = args.get(i + 1).and_then(|r| r.parse().ok()).unwrap_or_else(|| usage()),
            _ => usage(),
        }
        i += 2;
    }
    let mut lines = String::new();
    for _ in 0..repeat {
        match good_compute(model, &rows) {
            Ok(y) => lines.push_str(&format!("y {}\n", join(&y))),
            Err((step, errno)) => lines.push_str(&format!("{} failed: {}\n", step, errno_name(errno))),
        }
    }
    match out_path {
        Some(path) => std::fs::write(&path, lines).unwrap_or_else(|e| {
            eprintln!("fuzz-preview1: cannot write {}: {}", path, e);
            exit(1)
        }),
        None => print!("{}", lines),
    }
}

// ---- hoard: host memory held for the guest ----

fn hoard_command(args: &[String]) {
    if args.len() < 3 {
        usage();
    }
    let count: u32 = args[1].parse().unwrap_or_else(|_| usage());
    let mib: u32 = args[2].parse().unwrap_or_else(|_| usage());
    let graph = nn::load_by_name(&args[0]).unwrap_or_else(|e| {
        println!("load_by_name: {}", errno_name(e));
        exit(1)
    });
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| {
        println!("init_execution_context: {}", errno_name(e));
        exit(1)
    });
    let block = vec![1u8; (mib as usize) << 20];
    for i in 0..count {
        if let Err(errno) = nn::set_input(context, i, nn::U8, &[block.len() as u32], &block) {
            println!("refused after {} MiB: {}", i * mib, errno_name(errno));
            exit(0)
        }
    }
    println!("hoarded {} MiB", count * mib);
}

// ---- configs: graphs a guest can make the host keep ----

/// Loads <model> by name with <count> distinct configs (inter-op thread counts), unloading
/// each graph at once; prints how many loads succeeded.
fn configs_command(args: &[String]) {
    if args.len() < 2 {
        usage();
    }
    let count: u32 = args[1].parse().unwrap_or_else(|_| usage());
    let mut loaded = 0;
    for i in 0..count {
        // One compute thread each (cheap to make), told apart by a setting the model never uses.
        let config = format!("{{\"intra_op_threads\":1,\"inter_op_threads\":{}}}", 1 + i);
        match nn::load_by_name_with_config(&args[0], &config) {
            Ok(graph) => {
                loaded += 1;
                let _ = nn::unload(graph);
            }
            Err(errno) => {
                println!("config {} refused: {}", i, errno_name(errno));
                break;
            }
        }
    }
    println!("loaded {} configs", loaded);
}

// ---- files ----

fn files_command(command: &str, args: &[String]) {
    let arg = |i: usize| args.get(i).unwrap_or_else(|| usage()).as_str();
    let result = match command {
        "read" => std::fs::read_to_string(arg(0)).map(|text| print!("{}", text)),
        "write" => std::fs::write(arg(0), arg(1)).map(|_| println!("ok")),
        "symlink" => {
            // std's symlink is unstable on wasi: path_symlink itself, relative to the first preopen (fd 3).
            let errno = unsafe { preview1::path_symlink(addr(arg(0).as_ptr()), arg(0).len() as u32, 3, addr(arg(1).as_ptr()), arg(1).len() as u32) };
            if errno == 0 { Ok(println!("ok")) } else { Err(std::io::Error::from_raw_os_error(errno as i32)) }
        }
        "list" => std::fs::read_dir(arg(0)).map(|entries| {
            let mut names: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            println!("{}", names.join(" "));
        }),
        _ => usage(),
    };
    if let Err(e) = result {
        println!("error: {}", e);
        exit(3)
    }
}

// ---- sockets ----

mod preview1 {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        pub fn sock_accept(fd: u32, flags: u32, fd_out: u32) -> u32;
        pub fn sock_recv(fd: u32, iovs: u32, iovs_len: u32, flags: u32, len_out: u32, flags_out: u32) -> u32;
        pub fn sock_send(fd: u32, iovs: u32, iovs_len: u32, flags: u32, len_out: u32) -> u32;
        pub fn sock_shutdown(fd: u32, how: u32) -> u32;
        pub fn path_symlink(old_path: u32, old_path_len: u32, fd: u32, new_path: u32, new_path_len: u32) -> u32;
        pub fn proc_raise(signal: u32) -> u32;
        pub fn fd_close(fd: u32) -> u32;
        pub fn fd_renumber(fd: u32, to: u32) -> u32;
        pub fn args_get(a: u32, b: u32) -> u32;
        pub fn args_sizes_get(a: u32, b: u32) -> u32;
        pub fn environ_get(a: u32, b: u32) -> u32;
        pub fn environ_sizes_get(a: u32, b: u32) -> u32;
        pub fn clock_res_get(id: u32, out: u32) -> u32;
        pub fn clock_time_get(id: u32, precision: u64, out: u32) -> u32;
        pub fn fd_advise(fd: u32, offset: u64, len: u64, advice: u32) -> u32;
        pub fn fd_allocate(fd: u32, offset: u64, len: u64) -> u32;
        pub fn fd_datasync(fd: u32) -> u32;
        pub fn fd_fdstat_get(fd: u32, out: u32) -> u32;
        pub fn fd_fdstat_set_flags(fd: u32, flags: u32) -> u32;
        pub fn fd_fdstat_set_rights(fd: u32, base: u64, inheriting: u64) -> u32;
        pub fn fd_filestat_get(fd: u32, out: u32) -> u32;
        pub fn fd_filestat_set_size(fd: u32, size: u64) -> u32;
        pub fn fd_filestat_set_times(fd: u32, atime: u64, mtime: u64, flags: u32) -> u32;
        pub fn fd_pread(fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32) -> u32;
        pub fn fd_prestat_get(fd: u32, out: u32) -> u32;
        pub fn fd_prestat_dir_name(fd: u32, buf: u32, len: u32) -> u32;
        pub fn fd_pwrite(fd: u32, iovs: u32, iovs_len: u32, offset: u64, out: u32) -> u32;
        pub fn fd_read(fd: u32, iovs: u32, iovs_len: u32, out: u32) -> u32;
        pub fn fd_readdir(fd: u32, buf: u32, len: u32, cookie: u64, out: u32) -> u32;
        pub fn fd_seek(fd: u32, offset: u64, whence: u32, out: u32) -> u32;
        pub fn fd_sync(fd: u32) -> u32;
        pub fn fd_tell(fd: u32, out: u32) -> u32;
        pub fn fd_write(fd: u32, iovs: u32, iovs_len: u32, out: u32) -> u32;
        pub fn path_create_directory(fd: u32, path: u32, len: u32) -> u32;
        pub fn path_filestat_get(fd: u32, flags: u32, path: u32, len: u32, out: u32) -> u32;
        pub fn path_filestat_set_times(fd: u32, flags: u32, path: u32, len: u32, atime: u64, mtime: u64, fst: u32) -> u32;
        pub fn path_link(fd: u32, flags: u32, path: u32, len: u32, fd2: u32, path2: u32, len2: u32) -> u32;
        pub fn path_open(fd: u32, dirflags: u32, path: u32, len: u32, oflags: u32, base: u64, inheriting: u64, fdflags: u32, out: u32) -> u32;
        pub fn path_readlink(fd: u32, path: u32, len: u32, buf: u32, buf_len: u32, out: u32) -> u32;
        pub fn path_remove_directory(fd: u32, path: u32, len: u32) -> u32;
        pub fn path_rename(fd: u32, path: u32, len: u32, fd2: u32, path2: u32, len2: u32) -> u32;
        pub fn path_unlink_file(fd: u32, path: u32, len: u32) -> u32;
        pub fn poll_oneoff(subscriptions: u32, events: u32, count: u32, out: u32) -> u32;
        pub fn sched_yield() -> u32;
        pub fn random_get(buf: u32, len: u32) -> u32;
    }
}

// ---- host-wide effects through wasi_snapshot_preview1 ----

/// `raise <wasi-signal>`: proc_raise; `close <fd>`: fd_close; `renumber <fd> <to>`: fd_renumber.
/// Each prints its errno, then `still here` (a host that let the call through may not get that far).
fn host_effect_command(command: &str, args: &[String]) {
    let arg = |i: usize| -> u32 { args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| usage()) };
    let errno = unsafe {
        match command {
            "raise" => preview1::proc_raise(arg(0)),
            "close" => preview1::fd_close(arg(0)),
            _ => preview1::fd_renumber(arg(0), arg(1)),
        }
    };
    // Through the nn host too: its log line goes to the host's stderr.
    let named = nn::load_by_name("no-such-model").err().unwrap_or(0);
    println!("{} errno {}; load_by_name afterwards: {}; still here", command, errno, errno_name(named));
    eprintln!("guest stderr still works");
}

/// Random calls into wasi_snapshot_preview1 (every function but proc_exit, and the ones
/// `host_effect_command` and `sockets` probe on their own), on fds 3-9 and the preopen's paths.
fn wasi_fuzz_command(args: &[String]) {
    let seed: u64 = args.get(0).and_then(|s| s.parse().ok()).unwrap_or_else(|| usage());
    let calls: u32 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| usage());
    let mut f = Fuzzer { rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1), model: String::new(), model_bytes: Vec::new(), graphs: Vec::new(), contexts: Vec::new() };
    const PATHS: [&str; 12] = ["a", "a/b", "..", "../x", "/etc/passwd", "", ".", "sub/../..", "a/../../b", "x\0y", "link", "dir/"];
    let mut counts: BTreeMap<(&'static str, u32), u32> = BTreeMap::new();
    // FUZZ_TRACE=1 (--env) prints each call before making it: the last line names a call that never returned.
    let trace = std::env::var("FUZZ_TRACE").is_ok();
    for _ in 0..calls {
        f.scribble();
        let fd = if f.rng.chance(90) { 3 + f.rng.below(7) } else { f.rng.u32() };
        let fd2 = if f.rng.chance(90) { 3 + f.rng.below(7) } else { f.rng.u32() };
        let (path, len) = f.text(&PATHS);
        let (path2, len2) = f.text(&PATHS);
        let out = f.out_ptr();
        let out2 = f.out_ptr();
        let n = f.len();
        let buf = f.out_ptr();
        let buf_len = f.buffer_len(buf);
        // iovecs pointing into scratch (or anywhere, for the reading side of fd_write).
        let iov = [f.out_ptr(), f.rng.below(256)];
        let iov_bytes: Vec<u8> = iov.iter().flat_map(|v| v.to_le_bytes()).collect();
        let iovs = f.place(&iov_bytes);
        let iovs_len = if f.rng.chance(80) { 1 } else { f.len() };
        let big = f.rng.next();
        let small = f.rng.below(8);
        let flags = f.rng.u32();
        // Set-times flags: mostly the four defined bits, sometimes any (uvwasi once leaked a lock on those).
        let fst = if f.rng.chance(80) { flags & 0xf } else { flags & 0xffff };
        let name: &'static str;
        let which = f.rng.below(37);
        if trace {
            eprintln!("call {} fd {} fd2 {}", which, fd, fd2);
        }
        let errno = unsafe {
            match which {
                0 => { name = "args_get"; preview1::args_get(out, buf) }
                1 => { name = "args_sizes_get"; preview1::args_sizes_get(out, out2) }
                2 => { name = "environ_get"; preview1::environ_get(out, buf) }
                3 => { name = "environ_sizes_get"; preview1::environ_sizes_get(out, out2) }
                4 => { name = "clock_res_get"; preview1::clock_res_get(small, out) }
                5 => { name = "clock_time_get"; preview1::clock_time_get(small, big, out) }
                6 => { name = "fd_advise"; preview1::fd_advise(fd, big, f.rng.next(), small) }
                7 => { name = "fd_allocate"; preview1::fd_allocate(fd, big & 0xffff, f.rng.next() & 0xffff) }
                8 => { name = "fd_datasync"; preview1::fd_datasync(fd) }
                9 => { name = "fd_fdstat_get"; preview1::fd_fdstat_get(if f.rng.chance(30) { f.rng.below(3) } else { fd }, out) }
                10 => { name = "fd_fdstat_set_flags"; preview1::fd_fdstat_set_flags(fd, flags & 0x1f) }
                11 => { name = "fd_fdstat_set_rights"; preview1::fd_fdstat_set_rights(fd, big, f.rng.next()) }
                12 => { name = "fd_filestat_get"; preview1::fd_filestat_get(if f.rng.chance(30) { f.rng.below(3) } else { fd }, out) }
                13 => { name = "fd_filestat_set_size"; preview1::fd_filestat_set_size(fd, big & 0xffff) }
                14 => { name = "fd_filestat_set_times"; preview1::fd_filestat_set_times(fd, big, f.rng.next(), fst) }
                15 => { name = "fd_pread"; preview1::fd_pread(fd, iovs, iovs_len, big & 0xffff, out) }
                16 => { name = "fd_prestat_get"; preview1::fd_prestat_get(fd, out) }
                17 => { name = "fd_prestat_dir_name"; preview1::fd_prestat_dir_name(fd, buf, buf_len) }
                18 => { name = "fd_pwrite"; preview1::fd_pwrite(fd, iovs, iovs_len, big & 0xffff, out) }
                19 => { name = "fd_read"; preview1::fd_read(fd, iovs, iovs_len, out) }
                20 => { name = "fd_readdir"; preview1::fd_readdir(fd, buf, buf_len, big & 0xff, out) }
                21 => { name = "fd_seek"; preview1::fd_seek(fd, big, small, out) }
                22 => { name = "fd_sync"; preview1::fd_sync(fd) }
                23 => { name = "fd_tell"; preview1::fd_tell(fd, out) }
                24 => { name = "fd_write"; preview1::fd_write(fd, iovs, iovs_len, out) }
                25 => { name = "path_create_directory"; preview1::path_create_directory(fd, path, len) }
                26 => { name = "path_filestat_get"; preview1::path_filestat_get(fd, flags & 1, path, len, out) }
                27 => { name = "path_filestat_set_times"; preview1::path_filestat_set_times(fd, flags & 1, path, len, big, f.rng.next(), fst) }
                28 => { name = "path_link"; preview1::path_link(fd, flags & 1, path, len, fd2, path2, len2) }
                29 => { name = "path_open"; preview1::path_open(fd, flags & 1, path, len, small & 0xf, big, f.rng.next(), flags & 0x1f, out) }
                30 => { name = "path_readlink"; preview1::path_readlink(fd, path, len, buf, buf_len, out) }
                31 => { name = "path_remove_directory"; preview1::path_remove_directory(fd, path, len) }
                32 => { name = "path_rename"; preview1::path_rename(fd, path, len, fd2, path2, len2) }
                33 => { name = "path_unlink_file"; preview1::path_unlink_file(fd, path, len) }
                34 => {
                    // Clock subscriptions only (a short relative timeout), so the guest never blocks for long.
                    name = "poll_oneoff";
                    let mut sub = [0u8; 48];
                    sub[0..8].copy_from_slice(&big.to_le_bytes());
                    sub[8] = 0; // clock
                    sub[16..20].copy_from_slice(&(small % 4).to_le_bytes());
                    sub[24..32].copy_from_slice(&((big % 1000) as u64).to_le_bytes());
                    let at = f.place(&sub);
                    // Subscriptions from random memory could sleep for years: those go past the end of memory only.
                    let (subs, count) = if f.rng.chance(80) { (at, 1) } else { (memory_end().wrapping_add(f.rng.below(1 << 20)), n % 64) };
                    preview1::poll_oneoff(subs, out, count, out2)
                }
                35 => { name = "sched_yield"; preview1::sched_yield() }
                _ => { name = "random_get"; preview1::random_get(buf, buf_len) }
            }
        };
        if trace {
            eprintln!("  {} -> {}", name, errno);
        }
        *counts.entry((name, errno)).or_insert(0) += 1;
    }
    for ((name, errno), count) in &counts {
        println!("{} {} {}", name, errno, count);
    }
    println!("calls {}", calls);
}

/// Prints `<call> fd <n>: <errno>` for every preview1 socket call on fds 0-7, then std::net's answers.
fn sockets_command(args: &[String]) {
    let mut buf = [0u8; 16];
    let iov: [u32; 2] = [addr(buf.as_mut_ptr()), buf.len() as u32];
    let mut out = [0u32; 2];
    for fd in 0..8u32 {
        unsafe {
            println!("sock_accept fd {}: {}", fd, preview1::sock_accept(fd, 0, addr(out.as_mut_ptr())));
            println!("sock_recv fd {}: {}", fd, preview1::sock_recv(fd, addr(iov.as_ptr()), 1, 0, addr(out.as_mut_ptr()), addr(out.as_mut_ptr()) + 4));
            println!("sock_send fd {}: {}", fd, preview1::sock_send(fd, addr(iov.as_ptr()), 1, 0, addr(out.as_mut_ptr())));
            println!("sock_shutdown fd {}: {}", fd, preview1::sock_shutdown(fd, 3));
        }
    }
    let port = args.get(0).map(|p| p.as_str()).unwrap_or("80");
    match std::net::TcpStream::connect(format!("127.0.0.1:{}", port)) {
        Ok(mut stream) => {
            let _ = stream.write_all(b"escaped\n");
            println!("std::net connect: CONNECTED");
        }
        Err(_) => println!("std::net connect: refused"),
    }
    match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(_) => println!("std::net bind: BOUND"),
        Err(_) => println!("std::net bind: refused"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => usage(),
    };
    match command {
        "fuzz" => fuzz_command(rest),
        "misuse" => misuse_command(rest),
        "compute" => compute_command(rest),
        "hoard" => hoard_command(rest),
        "configs" => configs_command(rest),
        "read" | "write" | "symlink" | "list" => files_command(command, rest),
        "sockets" => sockets_command(rest),
        "raise" | "close" | "renumber" => host_effect_command(command, rest),
        "wasi-fuzz" => wasi_fuzz_command(rest),
        _ => usage(),
    }
}
