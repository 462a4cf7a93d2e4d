import type OpenAI from 'openai';
import { afterAll, beforeAll } from 'vitest';
import { startTestBerth, type TestBerth, type TestBerthOptions } from './start-test-berth.js';

/** A test file's Berth, up from the file's `beforeAll` to its `afterAll`. */
export interface FileBerth {
  /** The server; read it inside tests and hooks, not while the file's tests are collected. */
  readonly berth: TestBerth;
  /** One official client pointed at the server, made once it is up. */
  readonly client: OpenAI;
}

/**
 * Starts a Berth (see start-test-berth.ts) before the calling file's tests and closes it after them.
 * Returns the handle its tests read the server and its client through.
 */
export function useTestBerth(options: TestBerthOptions = {}): FileBerth {
  let started: { berth: TestBerth; client: OpenAI } | undefined;
  beforeAll(async () => {
    const berth = await startTestBerth(options);
    started = { berth, client: berth.client() };
  });
  afterAll(async () => {
    await started?.berth.close();
  });
  const current = () => {
    if (!started) throw new Error('the test Berth is read before beforeAll started it');
    return started;
  };
  return {
    get berth() {
      return current().berth;
    },
    get client() {
      return current().client;
    },
  };
}
