import { toFile } from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { issueApiKey } from '../keys/issue-api-key.js';
import { chromiumHere } from '../../test/support/chromium-here.js';
import { openableGate } from '../../test/support/openable-gate.js';
import { sandboxDriversHere } from '../../test/support/sandbox-drivers-here.js';
import { startTestBerth, type TestBerth } from '../../test/support/start-test-berth.js';

// The dashboard as an operator uses it: a real Berth, a real sandbox, and Debian's Chromium driven
// headless by playwright-core. Every wait below is for something to appear on the page (bounded
// only by the test's hang guard), never a pause.

const browserPath = chromiumHere();
const driver = sandboxDriversHere()[0];
if (!browserPath && process.env.BERTH_REQUIRE_BROWSER === '1') {
  throw new Error('BERTH_REQUIRE_BROWSER=1, but no Chromium runs here (apt-get install chromium)');
}
const skipReason = !browserPath
  ? 'no Chromium here (apt-get install chromium)'
  : !driver
    ? 'no sandbox driver runs here'
    : undefined;

const autoShell = { type: 'shell', environment: { type: 'container_auto' } } as const;
/** How long a wait for the page may take: a hang guard, under the test's own. */
const pageTimeout = 60_000;

describe.skipIf(skipReason !== undefined)(
  `dashboard in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let berth: TestBerth;
    let browser: Browser;
    let page: Page;
    let origin: string;
    let alphaKey: string;
    let betaKey: string;
    /** The container the first test's run made (alpha's). */
    let alphaContainer = '';

    beforeAll(async () => {
      berth = await startTestBerth({ sandbox: { driver: driver ?? 'none', warmPool: 0 } });
      origin = new URL(berth.baseURL).origin;
      const issue = (project: string) =>
        issueApiKey(berth.runtime.store.apiKeys, {
          id: `key_${project}`,
          name: project,
          projectId: project,
          createdAt: 1,
        });
      alphaKey = await issue('alpha');
      betaKey = await issue('beta');
      // Keyless mode ends within a second of the first key.
      await vi.waitFor(async () => expect((await fetch(`${origin}/ui/api/responses`)).status).toBe(401), {
        timeout: 60_000,
        interval: 100,
      });
      browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox'] });
      page = await browser.newPage();
      page.setDefaultTimeout(pageTimeout);
    });
    afterAll(async () => {
      await browser?.close();
      await berth?.close();
    });

    /** Opens the dashboard afresh (no key kept in the tab) and signs in with `key`. */
    const signIn = async (key: string) => {
      await page.goto(`${origin}/ui/`);
      await page.evaluate('sessionStorage.clear()');
      await page.reload();
      await page.getByLabel('API key').fill(key);
      await page.getByRole('button', { name: 'Open' }).click();
      await page.getByRole('heading', { name: 'Responses' }).waitFor();
    };

    it('follows one agent run from the prompt to the file it produced, and back', async () => {
      const client = berth.client(alphaKey);
      const upstream = berth.upstreams.oai;
      upstream.script(
        {
          shellCalls: [
            {
              // Two commands back to back, each writing a file: each file is the work of its own. Lineage
              // reads a file's time from the kernel's clock, which may lag by a tick (≤ 10 ms): a file
              // written within a tick of the previous command's end could be that one's. The second
              // command writes 50 ms into its run, so which one wrote it is not in doubt.
              commands: [
                'mkdir -p /mnt/data/out && printf "rows: 3\\n" > /mnt/data/out/report.txt && echo wrote',
                'sleep 0.05; printf "total: 3" > /mnt/data/out/summary.txt',
              ],
            },
          ],
          usage: { input: 120, output: 30, cached: 40 },
        },
        { text: 'The report is in /mnt/data/out/report.txt.', usage: { input: 180, output: 12 } },
      );
      const run = await client.responses.create({
        model: 'oai/gpt-5',
        input: 'Write the quarterly report to a file.',
        tools: [autoShell],
      });
      expect(run.status).toBe('completed');
      upstream.script({ text: 'Just words, no tools.' });
      const plain = await client.responses.create({ model: 'oai/gpt-5', input: 'Say something plain.' });

      // A wrong key is refused on the form, and nothing is kept.
      await page.goto(`${origin}/ui/`);
      await page.getByLabel('API key').fill('sk-berth-not-a-key');
      await page.getByRole('button', { name: 'Open' }).click();
      await page
        .getByRole('alert')
        .filter({ hasText: /API key/i })
        .waitFor();
      expect(await page.evaluate('sessionStorage.getItem("berth.apiKey")')).toBeNull();

      await signIn(alphaKey);
      const rows = page.locator('tbody tr');
      await rows.filter({ hasText: plain.id }).waitFor();
      expect(await rows.count()).toBe(2);
      // Newest first, with status, model, prompt and tokens.
      expect(await rows.nth(1).innerText()).toMatch(
        new RegExp(
          `${run.id}\\s+completed\\s+oai/gpt-5\\s+Write the quarterly report to a file\\.\\s+300 / 40 / 42`,
        ),
      );

      // Search and filters narrow the list.
      await page.getByLabel('Search').fill('quarterly');
      await page.getByRole('button', { name: 'Apply' }).click();
      await rows.filter({ hasText: plain.id }).waitFor({ state: 'detached' });
      expect(await rows.count()).toBe(1);
      await page.getByLabel('Search').fill('');
      await page.getByLabel('Status').selectOption('failed');
      await page.getByRole('button', { name: 'Apply' }).click();
      await page.getByText('No responses match.').waitFor();

      // The run's timeline: the prompt, each model turn, the command with its output, exit code and
      // container, and the answer.
      await page.goto(`${origin}/ui/#/responses/${run.id}`);
      await page.getByRole('heading', { name: run.id }).waitFor();
      expect(await page.getByTestId('response-status').innerText()).toBe('completed');
      await page.getByText('Write the quarterly report to a file.').waitFor();
      await page.getByRole('heading', { name: 'Model turn 1' }).waitFor();
      await page.getByRole('heading', { name: 'Model turn 2' }).waitFor();
      const commands = page.getByTestId('command');
      expect(await commands.count()).toBe(2);
      expect(await commands.nth(1).innerText()).toContain(
        '$ sleep 0.05; printf "total: 3" > /mnt/data/out/summary.txt',
      );
      const command = commands.first();
      const commandText = await command.innerText();
      expect(commandText).toContain('$ mkdir -p /mnt/data/out');
      expect(commandText).toMatch(/exit 0 · \d+(\.\d+)? (ms|s) · container cntr_\w+ · session \w+/);
      expect(await command.locator('pre.stdout').innerText()).toBe('wrote\n');
      await page.getByText('The report is in /mnt/data/out/report.txt.').waitFor();

      // The container: driver and limits, and the file with the response and command that wrote it.
      const containerLink = command.getByRole('link', { name: /^cntr_/ });
      alphaContainer = await containerLink.innerText();
      // A file the user put there, beside what the commands wrote.
      await client.containers.files.create(alphaContainer, {
        file: await toFile(Buffer.from('a,b\n1,2\n'), 'input.csv'),
      });
      await containerLink.click();
      await page.getByRole('heading', { name: 'Files' }).waitFor();
      const facts = await page.locator('dl.facts').innerText();
      expect(facts).toMatch(new RegExp(`Driver\\s+${driver}\\b`));
      expect(facts).toMatch(/Limits\s+1\.0 GiB memory \(1g\), [\d.]+ CPU, \d+ processes, [\d.]+ \w+ disk/);
      const file = page.getByTestId('file').filter({ hasText: '/mnt/data/out/report.txt' });
      await file.waitFor();
      expect(await file.innerText()).toContain('$ mkdir -p /mnt/data/out');
      expect(await file.innerText()).toMatch(/exit 0/);
      const summary = await page
        .getByTestId('file')
        .filter({ hasText: '/mnt/data/out/summary.txt' })
        .innerText();
      expect(summary).toContain('printf "total: 3"');
      expect(summary).not.toContain('mkdir');
      expect(await page.getByTestId('file').filter({ hasText: '/mnt/data/input.csv' }).innerText()).toContain(
        'uploaded',
      );
      await file.getByRole('link', { name: run.id }).click();
      await page.getByRole('heading', { name: run.id }).waitFor();
    });

    it('follows a running background response live until it completes', async () => {
      const gate = openableGate();
      berth.upstreams.oai.script({ text: 'Finished after the wait.', gate: gate.opened });
      const client = berth.client(alphaKey);
      const started = await client.responses.create({
        model: 'oai/gpt-5',
        input: 'Take your time.',
        background: true,
      });
      await signIn(alphaKey);
      await page.goto(`${origin}/ui/#/responses/${started.id}`);
      await page.getByRole('heading', { name: started.id }).waitFor();
      // The page is following the stream: it says the response is running.
      await page
        .getByTestId('response-status')
        .filter({ hasText: /queued|in_progress/ })
        .waitFor();
      gate.open();
      // No reload: the stream's events bring the answer and the final status.
      await page.getByTestId('response-status').filter({ hasText: 'completed' }).waitFor();
      await page.getByText('Finished after the wait.').waitFor();
    });

    it("shows another project's key none of it", async () => {
      await signIn(betaKey);
      await page.getByText('No responses match.').waitFor();
      const alphaResponses = await fetch(`${origin}/ui/api/responses`, {
        headers: { authorization: `Bearer ${alphaKey}` },
      }).then((response) => response.json() as Promise<{ data: { id: string }[] }>);
      const someone = alphaResponses.data[0]?.id ?? '';
      expect(someone).toMatch(/^resp_/);
      await page.goto(`${origin}/ui/#/responses/${someone}`);
      await page.getByRole('alert').filter({ hasText: someone }).waitFor();
      // Nor its container, whose files say which commands ran: 404, as for an unknown id.
      expect(alphaContainer).toMatch(/^cntr_/);
      for (const path of [
        `/ui/api/containers/${alphaContainer}`,
        `/ui/api/containers/${alphaContainer}/files`,
      ]) {
        const refused = await fetch(`${origin}${path}`, { headers: { authorization: `Bearer ${betaKey}` } });
        expect(refused.status).toBe(404);
        expect(await refused.json()).toMatchObject({ error: { code: 'not_found' } });
      }
      await page.goto(`${origin}/ui/#/containers/${alphaContainer}`);
      await page.getByRole('alert').filter({ hasText: alphaContainer }).waitFor();
    });

    it('serves the page without a key, with a policy that runs only its own scripts; the data needs one', async () => {
      const pageResponse = await fetch(`${origin}/ui/`);
      expect(pageResponse.status).toBe(200);
      expect(pageResponse.headers.get('content-type')).toMatch(/^text\/html/);
      expect(pageResponse.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(pageResponse.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect((await fetch(`${origin}/ui/assets/app.js`)).status).toBe(200);
      expect((await fetch(`${origin}/ui/assets/..%2f..%2fpackage.json`)).status).toBe(400);
      expect((await fetch(`${origin}/ui/assets/.hidden`)).status).toBe(400);
      expect((await fetch(`${origin}/ui/assets/missing.js`)).status).toBe(404);
      const redirect = await fetch(`${origin}/ui`, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('location')).toBe('/ui/');
      for (const path of [
        '/ui/api/responses',
        '/ui/api/containers/cntr_x',
        '/ui/api/containers/cntr_x/files',
      ]) {
        const refused = await fetch(`${origin}${path}`);
        expect(refused.status).toBe(401);
        expect(await refused.json()).toMatchObject({ error: { code: 'missing_api_key' } });
      }
    });
  },
);
