;; sandbox-probe: a guest that tries what a sandbox must stop. Written in WAT so it needs no
;; toolchain; the build wraps it into a component with the WASI preview1 command adapter.
;;
;;   sandbox-probe env          prints "env <n>": how many environment variables it can see
;;   sandbox-probe read <path>  opens <path> under the first preopened dir (fd 3) and prints it,
;;                              or prints "errno <n>" (the WASI errno) and exits 1 when refused
;;   sandbox-probe spin         loops forever (for --timeout)
;;   sandbox-probe grow         grows memory 1 MiB at a time until refused, then traps (for --max-memory)
;;   sandbox-probe trap         traps at once (unreachable)
(module
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 2)

  ;; Memory map: 0 argc, 4 argv buffer size, 16 argv pointers, 512 argv strings,
  ;; 8192 iovecs (2 x 8 bytes), 8208 byte count, 8212 opened fd, 8224-8240 number text,
  ;; 8256 labels, 16384 read buffer (32 KiB).
  (data (i32.const 8256) "env errno ")

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 16) (i32.mul (local.get $i) (i32.const 4)))))

  ;; Prints "<label> <n>\n".
  (func $print (param $label i32) (param $label_len i32) (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 8239))
    (i32.store8 (local.get $p) (i32.const 10))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digit (local.get $n)))
    (i32.store (i32.const 8192) (local.get $label))
    (i32.store (i32.const 8196) (local.get $label_len))
    (i32.store (i32.const 8200) (local.get $p))
    (i32.store (i32.const 8204) (i32.sub (i32.const 8240) (local.get $p)))
    ;; One iovec per call: the preview1 adapter writes only the first iovec of a call.
    (drop (call $fd_write (i32.const 1) (i32.const 8192) (i32.const 1) (i32.const 8208)))
    (drop (call $fd_write (i32.const 1) (i32.const 8200) (i32.const 1) (i32.const 8208))))

  (func $fail (param $errno i32)
    (call $print (i32.const 8260) (i32.const 6) (local.get $errno))
    (call $proc_exit (i32.const 1)))

  (func $read (param $path i32)
    (local $errno i32)
    (local.set $errno
      (call $path_open (i32.const 3) (i32.const 1) (local.get $path) (call $strlen (local.get $path))
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 8212)))
    (if (local.get $errno) (then (call $fail (local.get $errno))))
    (i32.store (i32.const 8192) (i32.const 16384))
    (i32.store (i32.const 8196) (i32.const 32768))
    (local.set $errno (call $fd_read (i32.load (i32.const 8212)) (i32.const 8192) (i32.const 1) (i32.const 8208)))
    (if (local.get $errno) (then (call $fail (local.get $errno))))
    (i32.store (i32.const 8196) (i32.load (i32.const 8208)))
    (drop (call $fd_write (i32.const 1) (i32.const 8192) (i32.const 1) (i32.const 8208)))
    (call $proc_exit (i32.const 0)))

  (func (export "_start")
    (local $command i32)
    (drop (call $args_sizes_get (i32.const 0) (i32.const 4)))
    (drop (call $args_get (i32.const 16) (i32.const 512)))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2)) (then (call $proc_exit (i32.const 1))))
    (local.set $command (i32.load8_u (call $arg (i32.const 1))))
    ;; 'e': count environment variables
    (if (i32.eq (local.get $command) (i32.const 101))
      (then
        (drop (call $environ_sizes_get (i32.const 32) (i32.const 36)))
        (call $print (i32.const 8256) (i32.const 4) (i32.load (i32.const 32)))
        (call $proc_exit (i32.const 0))))
    ;; 'r': read a file
    (if (i32.eq (local.get $command) (i32.const 114))
      (then (call $read (call $arg (i32.const 2)))))
    ;; 's': spin forever
    (if (i32.eq (local.get $command) (i32.const 115))
      (then (loop $forever (br $forever))))
    ;; 't': trap
    (if (i32.eq (local.get $command) (i32.const 116)) (then unreachable))
    ;; 'g': grow memory until refused, then trap
    (if (i32.eq (local.get $command) (i32.const 103))
      (then
        (loop $more
          (if (i32.eq (memory.grow (i32.const 16)) (i32.const -1)) (then unreachable))
          (br $more))))
    (call $proc_exit (i32.const 1))))
