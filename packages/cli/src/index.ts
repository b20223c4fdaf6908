// @wacs/cli as a library: the same commands the `wacs` binary runs.
export { main } from './main.js';
export { discoverBackends, findBackend, bindBackends, importBackend, backendCommands, type BackendPackage, type BackendCommand } from './discover.js';
export { inspectWasm, type InspectReport } from './commands/inspect.js';
export { webAssets, browserBackend, type WebRequest } from './web/assets.js';
export { startWebServer, webConfig, type WebAssets, type WebServer } from './web/server.js';
export { resolveGuest, readGuest, discoverGuestPackages, GuestNotFoundError, type GuestPackage, type ResolvedGuest } from './guests.js';
