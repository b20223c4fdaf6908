// nn-bench: times the guest boundary for a compiled guest. Loads a model by name, then repeats
// set_input + compute + get_output on one FP32 input and prints the mean time per round as
// `mean_us <µs>`. The input bytes are made once, so the loop is the boundary and the engine only.
// `warmup` rounds run first, untimed: the host's JavaScript reaches its steady speed only after
// V8 has compiled it in tiers.
//
//   nn-bench <model> <dims, e.g. 1x3> <output-elements> <repeats> [<warmup>]
mod nn;

use std::time::Instant;

fn arg(args: &[String], i: usize, what: &str) -> usize {
    args.get(i).and_then(|a| a.parse().ok()).unwrap_or_else(|| {
        eprintln!("usage: nn-bench <model> <dims, e.g. 1x3> <output-elements> <repeats> [<warmup>] (bad {})", what);
        std::process::exit(2)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let model = args.get(1).cloned().unwrap_or_default();
    let dims: Vec<u32> = args.get(2).map(|d| d.split('x').filter_map(|n| n.parse().ok()).collect()).unwrap_or_default();
    if dims.is_empty() {
        arg(&args, usize::MAX, "dims");
    }
    let elements = dims.iter().product::<u32>() as usize;
    let output_elements = arg(&args, 3, "output-elements");
    let repeats = arg(&args, 4, "repeats");
    let warmup = if args.len() > 5 { arg(&args, 5, "warmup") } else { 0 };
    let input: Vec<u8> = (0..elements).flat_map(|i| ((i % 7) as f32).to_le_bytes()).collect();
    let mut output = vec![0u8; output_elements * 4];
    let graph = nn::load_by_name(&model).unwrap_or_else(|e| panic!("load_by_name: {}", nn::errno_name(e)));
    let context = nn::init_execution_context(graph).unwrap_or_else(|e| panic!("init_execution_context: {}", nn::errno_name(e)));
    let mut round = || {
        nn::set_input(context, 0, nn::F32, &dims, &input).unwrap_or_else(|e| panic!("set_input: {}", nn::errno_name(e)));
        nn::compute(context).unwrap_or_else(|e| panic!("compute: {}", nn::errno_name(e)));
        nn::get_output(context, 0, &mut output).unwrap_or_else(|e| panic!("get_output: {}", nn::errno_name(e)))
    };
    let written = round();
    for _ in 0..warmup {
        round();
    }
    let start = Instant::now();
    for _ in 0..repeats {
        round();
    }
    let mean_us = start.elapsed().as_secs_f64() * 1e6 / repeats as f64;
    println!("mean_us {:.1}", mean_us);
    println!("output_bytes {}", written);
}
