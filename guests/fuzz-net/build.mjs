// Builds bin/net-probe.wasm: a component that tries every way out to the network a WASI 0.2 guest
// has (TCP connect and bind, UDP bind, DNS, outgoing HTTP) and prints what each answered:
//
//   net-probe <port>    tries 127.0.0.1:<port>, a server the test runs; one line per attempt
//
// The core module is WebAssembly text generated here (it calls the canonical-ABI imports by hand,
// so it needs no toolchain and no preview1 adapter); jco embeds the WIT in wit/ (plus wasi:cli and
// wasi:io from ../wit/deps) and makes the component. The component is committed; run
// `node build.mjs` from guests/fuzz-net after changing this file or wit/.
import { componentEmbed, componentNew, parse } from '@bytecodealliance/jco';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const here = dirname(new URL(import.meta.url).pathname);

const SOCKET_ERRORS = [
  'unknown', 'access-denied', 'not-supported', 'invalid-argument', 'out-of-memory', 'timeout', 'concurrency-conflict',
  'not-in-progress', 'would-block', 'invalid-state', 'new-socket-limit', 'address-not-bindable', 'address-in-use',
  'remote-unreachable', 'connection-refused', 'connection-reset', 'connection-aborted', 'datagram-too-large',
  'name-unresolvable', 'temporary-resolver-failure', 'permanent-resolver-failure',
];
const HTTP_ERRORS = [
  'DNS-timeout', 'destination-not-found', 'destination-unavailable', 'destination-IP-prohibited', 'destination-IP-unroutable',
  'connection-refused', 'connection-terminated', 'connection-timeout', 'connection-read-timeout', 'connection-write-timeout',
  'connection-limit-reached', 'TLS-protocol-error', 'TLS-certificate-error', 'HTTP-request-denied', 'internal-error',
];

// Memory map: 0-127 return areas, 1024 strings, 4096 socket error names, 5120 HTTP error names
// (32-byte slots: length byte, then the name), 8192 the output text, 16384 the realloc heap.
const strings = {};
let at = 1024;
function string(text) {
  strings[text] = at;
  at += text.length;
  return `(data (i32.const ${strings[text]}) "${text}")`;
}
const table = (base, names) => names.map((n, i) => `(data (i32.const ${base + i * 32}) "\\${n.length.toString(16).padStart(2, '0')}${n}")`).join('\n  ');
const LABELS = ['tcp connect: ', 'tcp bind: ', 'udp bind: ', 'dns lookup: ', 'http request: ', 'OPEN', 'localhost', '127.0.0.1:', '/from-the-guest', '\\n'];
const data = LABELS.map(string).join('\n  ');
const s = (text) => `(i32.const ${strings[text]}) (i32.const ${text === '\\n' ? 1 : text.length})`;
// 11 flattened payload slots of an ipv4 ip-socket-address (port, 4 address bytes, 6 unused).
const ipv4 = (port) => `(i32.const 0) ${port} (i32.const 127) (i32.const 0) (i32.const 0) (i32.const 1) ${'(i32.const 0) '.repeat(6)}`;

const wat = `(module
  (import "wasi:cli/environment@0.2.3" "get-arguments" (func $get_arguments (param i32)))
  (import "wasi:cli/stdout@0.2.3" "get-stdout" (func $get_stdout (result i32)))
  (import "wasi:io/streams@0.2.3" "[method]output-stream.blocking-write-and-flush" (func $write (param i32 i32 i32 i32)))
  (import "wasi:sockets/instance-network@0.2.3" "instance-network" (func $instance_network (result i32)))
  (import "wasi:sockets/tcp-create-socket@0.2.3" "create-tcp-socket" (func $create_tcp (param i32 i32)))
  (import "wasi:sockets/tcp@0.2.3" "[method]tcp-socket.start-connect"
    (func $tcp_connect (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:sockets/tcp@0.2.3" "[method]tcp-socket.start-bind"
    (func $tcp_bind (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:sockets/udp-create-socket@0.2.3" "create-udp-socket" (func $create_udp (param i32 i32)))
  (import "wasi:sockets/udp@0.2.3" "[method]udp-socket.start-bind"
    (func $udp_bind (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "wasi:sockets/ip-name-lookup@0.2.3" "resolve-addresses" (func $resolve (param i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.3" "[constructor]fields" (func $fields_new (result i32)))
  (import "wasi:http/types@0.2.3" "[constructor]outgoing-request" (func $request_new (param i32) (result i32)))
  (import "wasi:http/types@0.2.3" "[method]outgoing-request.set-scheme" (func $set_scheme (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.2.3" "[method]outgoing-request.set-authority" (func $set_authority (param i32 i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.2.3" "[method]outgoing-request.set-path-with-query" (func $set_path (param i32 i32 i32 i32) (result i32)))
  (import "wasi:http/outgoing-handler@0.2.3" "handle" (func $handle (param i32 i32 i32 i32)))

  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 16384))
  (global $out (mut i32) (i32.const 8192))
  ${data}
  ${table(4096, SOCKET_ERRORS)}
  ${table(5120, HTTP_ERRORS)}

  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1))) (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.const 16)))))
    (local.get $p))

  (func $append (param $ptr i32) (param $len i32)
    (memory.copy (global.get $out) (local.get $ptr) (local.get $len))
    (global.set $out (i32.add (global.get $out) (local.get $len))))

  (func $append_number (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 10)) (then (call $append_number (i32.div_u (local.get $n) (i32.const 10)))))
    (i32.store8 (global.get $out) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
    (global.set $out (i32.add (global.get $out) (i32.const 1))))

  ;; "<label>OPEN" when the tag is 0 (ok), else "<label><name of the error>" from a name table.
  (func $line (param $label i32) (param $label_len i32) (param $tag i32) (param $error i32) (param $names i32)
    (local $slot i32)
    (call $append (local.get $label) (local.get $label_len))
    (if (i32.eqz (local.get $tag))
      (then (call $append ${s('OPEN')}))
      (else
        (local.set $slot (i32.add (local.get $names) (i32.mul (local.get $error) (i32.const 32))))
        (call $append (i32.add (local.get $slot) (i32.const 1)) (i32.load8_u (local.get $slot)))))
    (call $append ${s('\\n')}))

  ;; The decimal number in the guest's first argument (argv[1]).
  (func $port (result i32)
    (local $p i32) (local $end i32) (local $n i32)
    (call $get_arguments (i32.const 0))
    (if (i32.lt_u (i32.load (i32.const 4)) (i32.const 2)) (then (return (i32.const 80))))
    (local.set $p (i32.load (i32.add (i32.load (i32.const 0)) (i32.const 8))))
    (local.set $end (i32.add (local.get $p) (i32.load (i32.add (i32.load (i32.const 0)) (i32.const 12)))))
    (block $done
      (loop $digit
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 10)) (i32.sub (i32.load8_u (local.get $p)) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  (func (export "wasi:cli/run@0.2.3#run") (result i32)
    (local $port i32) (local $network i32) (local $request i32) (local $authority i32)
    (local.set $port (call $port))
    (local.set $network (call $instance_network))

    ;; TCP connect to 127.0.0.1:<port>. A create that fails reports its own error.
    (call $create_tcp (i32.const 0) (i32.const 16))
    (if (i32.load8_u (i32.const 16))
      (then (call $line ${s('tcp connect: ')} (i32.const 1) (i32.load8_u (i32.const 20)) (i32.const 4096)))
      (else
        (call $tcp_connect (i32.load (i32.const 20)) (local.get $network) ${ipv4('(local.get $port)')} (i32.const 32))
        (call $line ${s('tcp connect: ')} (i32.load8_u (i32.const 32)) (i32.load8_u (i32.const 33)) (i32.const 4096))))

    ;; TCP bind to 127.0.0.1:0.
    (call $create_tcp (i32.const 0) (i32.const 16))
    (if (i32.load8_u (i32.const 16))
      (then (call $line ${s('tcp bind: ')} (i32.const 1) (i32.load8_u (i32.const 20)) (i32.const 4096)))
      (else
        (call $tcp_bind (i32.load (i32.const 20)) (local.get $network) ${ipv4('(i32.const 0)')} (i32.const 32))
        (call $line ${s('tcp bind: ')} (i32.load8_u (i32.const 32)) (i32.load8_u (i32.const 33)) (i32.const 4096))))

    ;; UDP bind to 127.0.0.1:0.
    (call $create_udp (i32.const 0) (i32.const 16))
    (if (i32.load8_u (i32.const 16))
      (then (call $line ${s('udp bind: ')} (i32.const 1) (i32.load8_u (i32.const 20)) (i32.const 4096)))
      (else
        (call $udp_bind (i32.load (i32.const 20)) (local.get $network) ${ipv4('(i32.const 0)')} (i32.const 32))
        (call $line ${s('udp bind: ')} (i32.load8_u (i32.const 32)) (i32.load8_u (i32.const 33)) (i32.const 4096))))

    ;; DNS: resolve "localhost".
    (call $resolve (local.get $network) ${s('localhost')} (i32.const 48))
    (call $line ${s('dns lookup: ')} (i32.load8_u (i32.const 48)) (i32.load8_u (i32.const 52)) (i32.const 4096))

    ;; HTTP: GET http://127.0.0.1:<port>/from-the-guest through wasi:http/outgoing-handler.
    (local.set $authority (global.get $out))
    (call $append ${s('127.0.0.1:')})
    (call $append_number (local.get $port))
    (local.set $request (call $request_new (call $fields_new)))
    (drop (call $set_scheme (local.get $request) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (drop (call $set_authority (local.get $request) (i32.const 1) (local.get $authority) (i32.sub (global.get $out) (local.get $authority))))
    (global.set $out (local.get $authority))
    (drop (call $set_path (local.get $request) (i32.const 1) ${s('/from-the-guest')}))
    (call $handle (local.get $request) (i32.const 0) (i32.const 0) (i32.const 64))
    (call $line ${s('http request: ')} (i32.load8_u (i32.const 64)) (i32.load8_u (i32.const 68)) (i32.const 5120))

    (call $write (call $get_stdout) (i32.const 8192) (i32.sub (global.get $out) (i32.const 8192)) (i32.const 96))
    (i32.const 0)))
`;

// The WIT: this folder's world and subsets, with wasi:cli and wasi:io from the example guests.
const wit = mkdtempSync(join(tmpdir(), 'net-probe-wit-'));
try {
  cpSync(join(here, 'wit'), wit, { recursive: true });
  for (const pkg of ['cli', 'io']) cpSync(join(here, '../wit/deps', pkg), join(wit, 'deps', pkg), { recursive: true });
  const embedded = await componentEmbed({ binary: await parse(wat), witPath: wit, world: 'net-probe' });
  const component = await componentNew(embedded, []);
  writeFileSync(join(here, 'net-probe.wasm'), component);
  console.log(`net-probe.wasm: ${component.byteLength} bytes`);
} finally {
  rmSync(wit, { recursive: true, force: true });
}
