/** What a preview1 core module may import, checked before it runs: a clear message beats a link error. */
import { WITX_FUNCTIONS, WITX_MODULE } from './witx.js';

/** The import modules a preview1 guest may use: node:wasi's preview1, and this front end. */
const PREVIEW1_MODULE = 'wasi_snapshot_preview1';

/** Throws, naming what is missing, when a module imports something wacs does not provide. */
export function checkModuleImports(imports: WebAssembly.ModuleImportDescriptor[]): void {
  const provided = new Set<string>(WITX_FUNCTIONS);
  const missing = imports.filter((i) =>
    i.module === WITX_MODULE ? !provided.has(i.name) || i.kind !== 'function' : i.module !== PREVIEW1_MODULE,
  );
  if (missing.length === 0) return;
  const names = missing.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', ');
  throw new Error(`it imports ${names}, which wacs does not provide (wacs provides ${PREVIEW1_MODULE} and ${WITX_MODULE})`);
}
