// @wacs/cli as a library: the same commands the `wacs` binary runs.
export { main, help } from './main.js';
export { discoverBackends, findBackend, bindBackends, importBackend, type BackendPackage } from './discover.js';
export { inspectWasm, type InspectReport } from './commands/inspect.js';
