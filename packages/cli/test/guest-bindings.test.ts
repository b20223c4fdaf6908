// guests/bindings.mjs: what the guests' build changes in componentize-js's generated bindings. The
// sample is the shape componentize-js 0.19.3 writes (a constructor, a method, a method taking an own
// tensor, drop), cut down; the guests built with the change run through every other guest test.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a build script of the guests package, plain JavaScript without types
import { rewriteBindings } from '../../../guests/bindings.mjs';

const rewrite = rewriteBindings as (js: string) => { js: string; handles: number; receivers: number };

const generated = `class Tensor {
  constructor(arg0) {
    const ret = $import_tensor$constructor(arg0);
    var handle4 = ret;
    var rsc3 = new.target === Tensor ? this : Object.create(Tensor.prototype);
    Object.defineProperty(rsc3, symbolRscHandle, { writable: true, value: handle4});
    finalizationRegistry_import$tensor.register(rsc3, handle4, rsc3);
    return rsc3;
  }
  dimensions() {
    function helper(arg0) {
      var handle0 = arg0[symbolRscHandle];
      finalizationRegistry_import$tensor.unregister(arg0);
      const ret = $import_tensor$method$dimensions(handle0);
      return ret;
    }
    return helper(this);
  }
}
class GraphExecutionContext {
  compute(arg0) {
    function helper(arg0, arg1) {
      var handle0 = arg0[symbolRscHandle];
      finalizationRegistry_import$context.unregister(arg0);
      var handle3 = arg1[symbolRscHandle];
      finalizationRegistry_import$tensor.unregister(arg1);
      return $import_context$method$compute(handle0, handle3);
    }
    return helper(this, arg0);
  }
  [symbolDispose]() {
    finalizationRegistry_import$context.unregister(this);
    $resource_import$drop$context(this[symbolRscHandle]);
  }
}
function load(arg0) {
  function helper(arg0) {
    var handle0 = arg0[symbolRscHandle];
    finalizationRegistry_import$tensor.unregister(arg0);
    return $import_load(handle0);
  }
  return helper(arg0);
}
`;

describe('the guests build: componentize-js bindings rewritten', () => {
  const { js, handles, receivers } = rewrite(generated);

  it("sets a resource's handle by assignment, not Object.defineProperty", () => {
    expect(handles).toBe(1);
    expect(js).not.toContain('Object.defineProperty');
    expect(js).toContain('rsc3[symbolRscHandle] = handle4;');
  });

  it("keeps a method's receiver registered (it is only borrowed), and every unregister where ownership moves", () => {
    expect(receivers).toBe(2);
    expect(js).not.toContain('finalizationRegistry_import$tensor.unregister(arg0);\n      const ret = $import_tensor$method$dimensions');
    expect(js).not.toContain('finalizationRegistry_import$context.unregister(arg0);');
    // an own tensor given to compute, a resource given to a free function, and drop
    expect(js).toContain('finalizationRegistry_import$tensor.unregister(arg1);');
    expect(js).toContain('    finalizationRegistry_import$tensor.unregister(arg0);\n    return $import_load(handle0);');
    expect(js).toContain('finalizationRegistry_import$context.unregister(this);');
  });

  it('changes nothing else', () => {
    const before = generated.split('\n');
    const after = js.split('\n');
    expect(before.filter((line) => !after.includes(line)).map((line) => line.trim())).toEqual([
      'Object.defineProperty(rsc3, symbolRscHandle, { writable: true, value: handle4});',
      'finalizationRegistry_import$tensor.unregister(arg0);',
      'finalizationRegistry_import$context.unregister(arg0);',
    ]);
    expect(after.filter((line) => !before.includes(line)).map((line) => line.trim())).toEqual(['rsc3[symbolRscHandle] = handle4;']);
  });
});
