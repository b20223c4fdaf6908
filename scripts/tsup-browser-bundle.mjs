// The tsup build of a backend's browser bundle (package.json "wacs": { "browser" }), for pages that
// load it by URL as `wacs web` does: everything inlined but core's contract (`@wacs/core/backend`, a
// peer), which the page's import map gives, so the page and every backend share one copy of it;
// one file, no chunks. `external` adds modules left out on purpose (a Node builtin only an unused
// engine path requires).

/** tsup options building `src/<source>` into `dist/<name>.js`. */
export function browserBundle(name, source, external = []) {
  const escaped = external.map((id) => `|${id.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`).join('');
  return {
    entry: { [name]: `src/${source}` },
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: [/^@wacs\/core\//, ...external],
    noExternal: [new RegExp(`^(?!@wacs/core/${escaped})`)],
    splitting: false,
    sourcemap: false,
  };
}
