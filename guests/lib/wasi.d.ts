// Types for the WASI and wasi:nn imports our guests use (the shapes jco and componentize-js give them).
declare module 'wasi:nn/tensor@0.2.0-rc-2024-10-28' {
  export type TensorType = 'FP16' | 'FP32' | 'FP64' | 'BF16' | 'U8' | 'I32' | 'I64';
  export class Tensor {
    constructor(dimensions: Uint32Array | number[], ty: TensorType, data: Uint8Array);
    dimensions(): Uint32Array;
    ty(): TensorType;
    data(): Uint8Array;
  }
}
declare module 'wasi:nn/errors@0.2.0-rc-2024-10-28' {
  export type ErrorCode =
    | 'invalid-argument' | 'invalid-encoding' | 'timeout' | 'runtime-error' | 'unsupported-operation'
    | 'too-large' | 'not-found' | 'security' | 'unknown';
  export class Error {
    code(): ErrorCode;
    data(): string;
  }
}
declare module 'wasi:nn/inference@0.2.0-rc-2024-10-28' {
  import type { Tensor } from 'wasi:nn/tensor@0.2.0-rc-2024-10-28';
  export class GraphExecutionContext {
    compute(inputs: Array<[string, Tensor]>): Array<[string, Tensor]>;
  }
}
declare module 'wasi:nn/graph@0.2.0-rc-2024-10-28' {
  import type { GraphExecutionContext } from 'wasi:nn/inference@0.2.0-rc-2024-10-28';
  export type GraphEncoding = 'openvino' | 'onnx' | 'tensorflow' | 'pytorch' | 'tensorflowlite' | 'ggml' | 'autodetect';
  export type ExecutionTarget = 'cpu' | 'gpu' | 'tpu';
  export class Graph {
    initExecutionContext(): GraphExecutionContext;
  }
  export function load(builders: Uint8Array[], encoding: GraphEncoding, target: ExecutionTarget): Graph;
  export function loadByName(name: string): Graph;
}
declare module 'wasi:cli/environment@0.2.3' {
  export function getArguments(): string[];
  export function getEnvironment(): Array<[string, string]>;
}
declare module 'wasi:cli/exit@0.2.3' {
  export function exit(status: { tag: 'ok' | 'err'; val?: undefined }): never;
}
declare module 'wasi:cli/stdin@0.2.3' {
  export interface InputStream {
    blockingRead(len: bigint): Uint8Array;
  }
  export function getStdin(): InputStream;
}
declare module 'wasi:cli/stdout@0.2.3' {
  export interface OutputStream {
    blockingWriteAndFlush(contents: Uint8Array): void;
  }
  export function getStdout(): OutputStream;
}
