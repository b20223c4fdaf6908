// `wacs serve` as a library: serve a wasi:http/proxy component, or mount its handler in your server.
export {
  createServeHandler,
  startServer,
  ServeSetupError,
  type ServeOptions,
  type ServerOptions,
  type ServeHandler,
  type WacsServer,
  type AccessRecord,
} from './server.js';
