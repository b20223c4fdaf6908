//! `dir-probe read <path>` prints a file; `dir-probe write <path> <text>` writes one; `dir-probe
//! mkdir <path>` creates a folder. Each prints "ok" or the I/O error, for the --dir tests.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let result = match args[1].as_str() {
        "read" => std::fs::read_to_string(&args[2]).map(|text| print!("{}", text)),
        "write" => std::fs::write(&args[2], &args[3]),
        "mkdir" => std::fs::create_dir(&args[2]),
        other => {
            eprintln!("dir-probe: unknown command {}", other);
            std::process::exit(2)
        }
    };
    match result {
        Ok(()) => println!("ok"),
        Err(e) => println!("error: {}", e),
    }
}
