// Types for the wasi:http@0.2.3 imports an nn-http guest uses (the shapes componentize-js gives them:
// a `result<T, E>` returns T or throws `{ payload: E }`, an `option<T>` is T | undefined).
declare module 'wasi:http/types@0.2.3' {
  export type Method = { tag: 'get' | 'head' | 'post' | 'put' | 'delete' | 'connect' | 'options' | 'trace' | 'patch' } | { tag: 'other'; val: string };
  export type ErrorCode = { tag: string; val?: unknown };
  export class Fields {
    constructor();
    static fromList(entries: Array<[string, Uint8Array]>): Fields;
    get(name: string): Uint8Array[];
    has(name: string): boolean;
    set(name: string, value: Uint8Array[]): void;
    append(name: string, value: Uint8Array): void;
    entries(): Array<[string, Uint8Array]>;
  }
  export interface InputStream {
    blockingRead(len: bigint): Uint8Array;
  }
  export interface OutputStream {
    blockingWriteAndFlush(contents: Uint8Array): void;
  }
  export class IncomingBody {
    stream(): InputStream;
    static finish(body: IncomingBody): unknown;
  }
  export class IncomingRequest {
    method(): Method;
    pathWithQuery(): string | undefined;
    headers(): Fields;
    consume(): IncomingBody;
  }
  export class OutgoingBody {
    write(): OutputStream;
    static finish(body: OutgoingBody, trailers: Fields | undefined): void;
  }
  export class OutgoingResponse {
    constructor(headers: Fields);
    setStatusCode(status: number): void;
    headers(): Fields;
    body(): OutgoingBody;
  }
  export class ResponseOutparam {
    static set(param: ResponseOutparam, response: { tag: 'ok'; val: OutgoingResponse } | { tag: 'err'; val: ErrorCode }): void;
  }
}
declare module 'wasi:clocks/monotonic-clock@0.2.3' {
  export function now(): bigint;
  export function subscribeDuration(nanoseconds: bigint): { block(): void };
}
