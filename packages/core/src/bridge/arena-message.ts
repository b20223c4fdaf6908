/**
 * How a wasi:nn bridge message sits in shared memory, for Node's bridge (channel.ts) and the page's
 * (@wacs/browser): [json offset u32][json length u32][byte arrays…][json], each byte array standing
 * in the JSON as `{ $bytes: [offset, length] }`. Browser-safe.
 */

/** A message ready to write: its JSON as UTF-8 (markers in place of byte arrays) and the arrays in order. */
export interface PlannedMessage {
  json: Uint8Array;
  blobs: Uint8Array[];
  /** Where the JSON starts: after the header and the byte arrays. */
  jsonOffset: number;
}

const HEADER_BYTES = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * A copy of `value` with each byte array replaced by its marker. A walk of our own costs less than
 * a JSON replacer and reviver, which run for every value (about half of a small call's encoding).
 */
function withMarkers(value: unknown, plan: PlannedMessage): unknown {
  if (value instanceof Uint8Array) {
    const marker = { $bytes: [plan.jsonOffset, value.byteLength] };
    plan.blobs.push(value);
    plan.jsonOffset += value.byteLength;
    return marker;
  }
  if (Array.isArray(value)) return value.map((v) => withMarkers(v, plan));
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) copy[key] = withMarkers((value as Record<string, unknown>)[key], plan);
    return copy;
  }
  return value;
}

/** The inverse of `withMarkers`, in place on freshly parsed JSON: markers become copies of their bytes. */
function withBytes(value: unknown, arena: Uint8Array): unknown {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = withBytes(value[i], arena);
  } else if (value && typeof value === 'object') {
    const at = (value as { $bytes?: [number, number] }).$bytes;
    if (at) return arena.slice(at[0], at[0] + at[1]);
    for (const key of Object.keys(value)) (value as Record<string, unknown>)[key] = withBytes((value as Record<string, unknown>)[key], arena);
  }
  return value;
}

export function planMessage(message: unknown): PlannedMessage {
  // Encoded apart, then copied: browsers refuse TextEncoder.encodeInto into shared memory.
  const plan: PlannedMessage = { json: new Uint8Array(), blobs: [], jsonOffset: HEADER_BYTES };
  plan.json = encoder.encode(JSON.stringify(withMarkers(message, plan)));
  return plan;
}

/** The bytes a planned message takes in the arena. */
export function messageBytes(plan: PlannedMessage): number {
  return plan.jsonOffset + plan.json.byteLength;
}

/** Writes a planned message into the arena; false when it does not fit. */
export function writeMessage(arena: Uint8Array, plan: PlannedMessage): boolean {
  if (messageBytes(plan) > arena.byteLength) return false;
  let at = HEADER_BYTES;
  for (const blob of plan.blobs) {
    arena.set(blob, at);
    at += blob.byteLength;
  }
  arena.set(plan.json, plan.jsonOffset);
  const header = new DataView(arena.buffer, arena.byteOffset, HEADER_BYTES);
  header.setUint32(0, plan.jsonOffset, true);
  header.setUint32(4, plan.json.byteLength, true);
  return true;
}

/** Reads the message in the arena; its byte arrays are copies the reader owns. */
export function readMessage(arena: Uint8Array): unknown {
  const header = new DataView(arena.buffer, arena.byteOffset, HEADER_BYTES);
  const start = header.getUint32(0, true);
  const json = decoder.decode(arena.slice(start, start + header.getUint32(4, true)));
  return withBytes(JSON.parse(json), arena);
}
