//! Raw bindings to `wasi_ephemeral_nn`: the witx wasi-nn ABI with WasmEdge's extensions, declared by
//! hand with no crates. Every function returns an errno and writes its results through out-pointers;
//! arguments are plain u32 addresses so the probes can pass bad ones on purpose.
#![allow(dead_code)]

pub mod sys {
    #[link(wasm_import_module = "wasi_ephemeral_nn")]
    extern "C" {
        pub fn load(builders: u32, builders_len: u32, encoding: u32, target: u32, graph_out: u32) -> u32;
        pub fn load_by_name(name: u32, name_len: u32, graph_out: u32) -> u32;
        pub fn load_by_name_with_config(name: u32, name_len: u32, config: u32, config_len: u32, graph_out: u32) -> u32;
        pub fn init_execution_context(graph: u32, context_out: u32) -> u32;
        pub fn set_input(context: u32, index: u32, tensor: u32) -> u32;
        pub fn compute(context: u32) -> u32;
        pub fn get_output(context: u32, index: u32, buf: u32, buf_max: u32, written_out: u32) -> u32;
        pub fn compute_single(context: u32) -> u32;
        pub fn get_output_single(context: u32, index: u32, buf: u32, buf_max: u32, written_out: u32) -> u32;
        pub fn fini_single(context: u32) -> u32;
        pub fn unload(graph: u32) -> u32;
        pub fn finalize_execution_context(context: u32) -> u32;
    }
}

/// The witx `tensor` record: 20 bytes, the type a u8 padded to 4.
#[repr(C)]
pub struct Tensor {
    pub dims_ptr: u32,
    pub dims_len: u32,
    pub ty: u8,
    pub data_ptr: u32,
    pub data_len: u32,
}

pub const SUCCESS: u32 = 0;
pub const INVALID_ARGUMENT: u32 = 1;
pub const NOT_FOUND: u32 = 8;
pub const END_OF_SEQUENCE: u32 = 100;
pub const CONTEXT_FULL: u32 = 101;
pub const PROMPT_TOO_LONG: u32 = 102;
pub const MODEL_NOT_FOUND: u32 = 103;

pub const F16: u8 = 0;
pub const F32: u8 = 1;
pub const F64: u8 = 2;
pub const U8: u8 = 3;
pub const I32: u8 = 4;
pub const I64: u8 = 5;

pub const ENCODING_ONNX: u32 = 1;
pub const ENCODING_AUTODETECT: u32 = 5;
pub const ENCODING_GGML: u32 = 6;
pub const TARGET_CPU: u32 = 0;
pub const TARGET_AUTO: u32 = 3;

pub fn addr<T: ?Sized>(p: *const T) -> u32 {
    p as *const u8 as usize as u32
}

pub fn errno_name(errno: u32) -> &'static str {
    match errno {
        0 => "success",
        1 => "invalid_argument",
        2 => "invalid_encoding",
        3 => "missing_memory",
        4 => "busy",
        5 => "runtime_error",
        6 => "unsupported_operation",
        7 => "too_large",
        8 => "not_found",
        100 => "end_of_sequence",
        101 => "context_full",
        102 => "prompt_too_long",
        103 => "model_not_found",
        _ => "unknown errno",
    }
}

fn check(errno: u32) -> Result<(), u32> {
    if errno == SUCCESS { Ok(()) } else { Err(errno) }
}

pub fn load(builders: &[&[u8]], encoding: u32, target: u32) -> Result<u32, u32> {
    let pairs: Vec<[u32; 2]> = builders.iter().map(|b| [addr(b.as_ptr()), b.len() as u32]).collect();
    let mut graph = 0u32;
    check(unsafe { sys::load(addr(pairs.as_ptr()), pairs.len() as u32, encoding, target, addr(&mut graph)) })?;
    Ok(graph)
}

pub fn load_by_name(name: &str) -> Result<u32, u32> {
    let mut graph = 0u32;
    check(unsafe { sys::load_by_name(addr(name.as_ptr()), name.len() as u32, addr(&mut graph)) })?;
    Ok(graph)
}

pub fn load_by_name_with_config(name: &str, config: &str) -> Result<u32, u32> {
    let mut graph = 0u32;
    check(unsafe {
        sys::load_by_name_with_config(addr(name.as_ptr()), name.len() as u32, addr(config.as_ptr()), config.len() as u32, addr(&mut graph))
    })?;
    Ok(graph)
}

pub fn init_execution_context(graph: u32) -> Result<u32, u32> {
    let mut context = 0u32;
    check(unsafe { sys::init_execution_context(graph, addr(&mut context)) })?;
    Ok(context)
}

pub fn set_input(context: u32, index: u32, ty: u8, dims: &[u32], data: &[u8]) -> Result<(), u32> {
    let tensor = Tensor { dims_ptr: addr(dims.as_ptr()), dims_len: dims.len() as u32, ty, data_ptr: addr(data.as_ptr()), data_len: data.len() as u32 };
    check(unsafe { sys::set_input(context, index, addr(&tensor)) })
}

pub fn compute(context: u32) -> Result<(), u32> {
    check(unsafe { sys::compute(context) })
}

pub fn get_output(context: u32, index: u32, buf: &mut [u8]) -> Result<usize, u32> {
    let mut written = 0u32;
    check(unsafe { sys::get_output(context, index, addr(buf.as_ptr()), buf.len() as u32, addr(&mut written)) })?;
    Ok(written as usize)
}

pub fn compute_single(context: u32) -> Result<(), u32> {
    check(unsafe { sys::compute_single(context) })
}

pub fn get_output_single(context: u32, index: u32, buf: &mut [u8]) -> Result<usize, u32> {
    let mut written = 0u32;
    check(unsafe { sys::get_output_single(context, index, addr(buf.as_ptr()), buf.len() as u32, addr(&mut written)) })?;
    Ok(written as usize)
}

pub fn fini_single(context: u32) -> Result<(), u32> {
    check(unsafe { sys::fini_single(context) })
}

pub fn unload(graph: u32) -> Result<(), u32> {
    check(unsafe { sys::unload(graph) })
}

pub fn finalize_execution_context(context: u32) -> Result<(), u32> {
    check(unsafe { sys::finalize_execution_context(context) })
}

/// The size of the guest's linear memory in bytes: the first address past its end.
pub fn memory_end() -> u32 {
    (core::arch::wasm32::memory_size(0) * 65536) as u32
}
