// Types for wasi:filesystem@0.2.3 as jco and componentize-js give them (the parts lib/files.ts uses).
declare module 'wasi:filesystem/types@0.2.3' {
  export type DescriptorType =
    | 'unknown' | 'block-device' | 'character-device' | 'directory' | 'fifo' | 'symbolic-link' | 'regular-file' | 'socket';
  export interface DescriptorFlags {
    read?: boolean;
    write?: boolean;
    mutateDirectory?: boolean;
  }
  export interface PathFlags {
    symlinkFollow?: boolean;
  }
  export interface OpenFlags {
    create?: boolean;
    directory?: boolean;
    exclusive?: boolean;
    truncate?: boolean;
  }
  export interface DirectoryEntry {
    type: DescriptorType;
    name: string;
  }
  export class DirectoryEntryStream {
    readDirectoryEntry(): DirectoryEntry | undefined;
  }
  export class Descriptor {
    read(length: bigint, offset: bigint): [Uint8Array, boolean];
    write(buffer: Uint8Array, offset: bigint): bigint;
    readDirectory(): DirectoryEntryStream;
    openAt(pathFlags: PathFlags, path: string, openFlags: OpenFlags, flags: DescriptorFlags): Descriptor;
    stat(): { type: DescriptorType; size: bigint };
  }
}
declare module 'wasi:filesystem/preopens@0.2.3' {
  import type { Descriptor } from 'wasi:filesystem/types@0.2.3';
  export function getDirectories(): Array<[Descriptor, string]>;
}
