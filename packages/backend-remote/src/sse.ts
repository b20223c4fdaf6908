/**
 * Server-sent events (the text/event-stream format OpenAI-compatible servers stream with): the data
 * of each event, as bytes arrive. Comments and fields other than `data` are skipped.
 */
export async function* sseData(chunks: AsyncIterable<Buffer>): AsyncGenerator<{ event?: string; data: string }> {
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event: string | undefined;
  const line = function* (text: string): Generator<{ event?: string; data: string }> {
    if (text === '') {
      if (data.length) yield { event, data: data.join('\n') };
      data = [];
      event = undefined;
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
  };
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r\n|\r|\n/)) >= 0) {
      // A "\r" at the end may be the first half of "\r\n": wait for the next chunk.
      if (end === buffer.length - 1 && buffer[end] === '\r') break;
      const text = buffer.slice(0, end);
      buffer = buffer.slice(end + (buffer.startsWith('\r\n', end) ? 2 : 1));
      yield* line(text);
    }
  }
  buffer += decoder.decode();
  if (buffer) yield* line(buffer);
  // An event without its blank line is incomplete: it is dropped, as the format says.
}
