/** The guest's linear memory as the witx functions read and write it, every access bounds-checked. */
import { NnError } from '../../errors.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bounds-checked access to the guest's linear memory as it is now (it may have grown since the last call). */
export class GuestMemory {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(readonly buffer: ArrayBuffer) {
    this.bytes = new Uint8Array(buffer);
    this.view = new DataView(buffer);
  }

  /** Checks [ptr, ptr + len) lies inside memory; `what` names the argument in the error. */
  check(ptr: number, len: number, what: string): void {
    if (ptr + len > this.bytes.byteLength) {
      throw new NnError('invalid-argument', `${what}: ${len} bytes at 0x${ptr.toString(16)} run past the end of the guest's memory (${this.bytes.byteLength} bytes)`);
    }
  }

  u8(ptr: number, what: string): number {
    this.check(ptr, 1, what);
    return this.bytes[ptr]!;
  }

  u32(ptr: number, what: string): number {
    this.check(ptr, 4, what);
    return this.view.getUint32(ptr, true);
  }

  setU32(ptr: number, value: number, what: string): void {
    this.check(ptr, 4, what);
    this.view.setUint32(ptr, value, true);
  }

  /** A copy of guest bytes (the guest may overwrite its memory right after the call). */
  copy(ptr: number, len: number, what: string): Uint8Array {
    this.check(ptr, len, what);
    return this.bytes.slice(ptr, ptr + len);
  }

  /** Guest bytes themselves, valid until memory grows: only for use before the guest runs again. */
  borrow(ptr: number, len: number, what: string): Uint8Array {
    this.check(ptr, len, what);
    return this.bytes.subarray(ptr, ptr + len);
  }

  text(ptr: number, len: number, what: string): string {
    this.check(ptr, len, what);
    try {
      return utf8.decode(this.bytes.subarray(ptr, ptr + len));
    } catch {
      throw new NnError('invalid-argument', `${what} is not valid UTF-8`);
    }
  }

  write(ptr: number, data: Uint8Array): void {
    this.bytes.set(data, ptr);
  }
}
