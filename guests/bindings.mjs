// What build.mjs changes in the JavaScript bindings componentize-js 0.19.3 generates for a guest's
// imports (through its `rewriteBindings` hook, patches/@bytecodealliance__componentize-js@0.19.3.patch).
// StarlingMonkey interprets this code on every wasi:nn call, and two of its habits cost there:
//
// - Each resource object gets its handle with `Object.defineProperty(rsc, symbolRscHandle,
//   { writable: true, value: handle })`: a descriptor object and a native call per resource. A plain
//   assignment sets the same value under the same symbol.
// - Each method call unregisters its receiver from the resource's FinalizationRegistry, although a
//   method only borrows it. The call costs, and worse, the object loses its finalizer: a tensor read
//   once and then let go, not dropped, keeps its handle until the instance ends. Unregistering
//   stays where ownership really moves: a resource passed as an argument, and drop.
//
// Together about 3 µs of a TypeScript guest's wasi:nn compute (BENCHMARKS.md, Foundation: "A
// JavaScript guest's import bindings").

const DEFINE_HANDLE = /Object\.defineProperty\((rsc\d+), symbolRscHandle, \{ writable: true, value: (handle\d+)\}\);/g;

// A method's body: `function helper(arg0, …) { var handle0 = arg0[symbolRscHandle];
// registry.unregister(arg0); … } return helper(this, …)`. The helper must end before another starts.
const RECEIVER_UNREGISTER =
  /(function helper\(arg0[^)]*\) \{\n\s*var handle0 = arg0\[symbolRscHandle\];\n)\s*finalizationRegistry_[\w$]+\.unregister\(arg0\);\n((?:(?!function helper\()[\s\S])*?return helper\(this[,)])/g;

/** The bindings with both changes, and how many places each changed. */
export function rewriteBindings(js) {
  let handles = 0;
  let receivers = 0;
  const out = js
    .replace(DEFINE_HANDLE, (_, rsc, handle) => {
      handles++;
      return `${rsc}[symbolRscHandle] = ${handle};`;
    })
    .replace(RECEIVER_UNREGISTER, (_, head, rest) => {
      receivers++;
      return `${head}${rest}`;
    });
  return { js: out, handles, receivers };
}
