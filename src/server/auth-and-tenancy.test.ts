import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueApiKey } from '../keys/issue-api-key.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

let berth: TestBerth;
beforeAll(async () => {
  berth = await startTestBerth();
});
afterAll(async () => {
  await berth.close();
});

function createKey(project: string, name: string): Promise<string> {
  return issueApiKey(berth.runtime.store.apiKeys, {
    id: `key_${name}`,
    name,
    projectId: project,
    createdAt: 1,
  });
}

describe('auth and tenancy', () => {
  it('accepts requests without a key on loopback while no key exists, then requires one', async () => {
    await expect(berth.client('anything').models.list()).resolves.toBeDefined();
    const alpha = await createKey('alpha', 'alpha');
    const beta = await createKey('beta', 'beta');

    // Keyless mode ends within a second of the first key (the answer is re-checked at most each second).
    const missing = await vi.waitFor(
      async () => {
        const response = await fetch(`${berth.baseURL}/models`);
        expect(response.status).toBe(401);
        return response;
      },
      { timeout: 60_000, interval: 100 },
    );
    expect(await missing.json()).toMatchObject({ error: { code: 'missing_api_key', param: null } });
    await expect(berth.client('sk-berth-wrong').models.list()).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });

    const alphaClient = berth.client(alpha);
    const betaClient = berth.client(beta);
    const response = await alphaClient.responses.create({ model: 'oai/gpt-5', input: 'private' });
    const conversation = await alphaClient.conversations.create({ metadata: { owner: 'alpha' } });

    // Another project's ids answer exactly as unknown ids do.
    const attempts: (() => Promise<unknown>)[] = [
      () => betaClient.responses.retrieve(response.id),
      () => betaClient.responses.delete(response.id),
      () => betaClient.responses.inputItems.list(response.id),
      () =>
        betaClient.responses.create({ model: 'oai/gpt-5', input: 'x', previous_response_id: response.id }),
      () => betaClient.conversations.retrieve(conversation.id),
      () => betaClient.conversations.items.list(conversation.id),
      () => betaClient.conversations.delete(conversation.id),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toMatchObject({ status: 404 });
    }
    await expect(alphaClient.responses.retrieve(response.id)).resolves.toMatchObject({ id: response.id });
    await expect(alphaClient.conversations.retrieve(conversation.id)).resolves.toMatchObject({
      metadata: { owner: 'alpha' },
    });

    expect(await berth.runtime.store.apiKeys.revokeApiKey('key_alpha', 2)).toBe(true);
    await expect(alphaClient.responses.retrieve(response.id)).rejects.toMatchObject({ status: 401 });
  });

  it('sends x-request-id on every answer', async () => {
    const response = await fetch(`${berth.baseURL}/nothing`);
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
  });
});
