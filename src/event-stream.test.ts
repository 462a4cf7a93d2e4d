import { describe, expect, it } from 'vitest';
import { EventStream, type SequencedEvent } from './event-stream.js';

async function readAll(events: AsyncIterable<SequencedEvent>): Promise<string[]> {
  const read: string[] = [];
  for await (const event of events) read.push(`${event.sequence_number}:${event.type}`);
  return read;
}

describe('EventStream', () => {
  it('numbers events from 0 and lets readers attach at any time and start after any number', async () => {
    const stream = new EventStream();
    stream.push({ type: 'a' });
    const early = readAll(stream);
    const resumed = readAll(stream.after(0));
    stream.push({ type: 'b' });
    await Promise.resolve();
    stream.push({ type: 'c' });
    stream.end();

    expect(await early).toEqual(['0:a', '1:b', '2:c']);
    expect(await resumed).toEqual(['1:b', '2:c']);
    // A reader that comes after the end replays everything.
    expect(await readAll(stream.after(1))).toEqual(['2:c']);
    expect(stream.events).toHaveLength(3);
  });

  it('lets a stream that is not replayable hold only what its reader has not taken', async () => {
    const stream = new EventStream({ replayable: false });
    stream.push({ type: 'a' });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ type: 'a', sequence_number: 0 });
    stream.push({ type: 'b' });
    stream.push({ type: 'c' });
    expect(stream.events).toHaveLength(2);
    expect((await iterator.next()).value).toMatchObject({ type: 'b', sequence_number: 1 });
    stream.end();
    expect((await iterator.next()).value).toMatchObject({ type: 'c', sequence_number: 2 });
    expect((await iterator.next()).done).toBe(true);
    expect(stream.events).toHaveLength(0);
    expect(stream.length).toBe(3);
  });
});
