import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../keys/api-key-secret.js';
import { fixtureApiKeySecret, fixtureFileName } from '../../../test/fixtures/sqlite-schemas/make-fixtures.js';
import type { StoredItem } from '../store.js';
import { migrationProvider } from './migrations.js';
import { openSqliteStore } from './sqlite-store.js';

const fixtures = join(import.meta.dirname, '../../../test/fixtures/sqlite-schemas');
const versions = Object.keys(await migrationProvider.getMigrations()).sort();
const directory = mkdtempSync(join(tmpdir(), 'berth-migrations-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const project = 'proj_fixture';
const item = (id: string, text: string): StoredItem => ({
  id,
  item: { id, type: 'message', role: 'user', content: [{ type: 'input_text', text }] },
});
const page = { limit: 10, order: 'asc' as const };

describe('sqlite migrations from released schemas', () => {
  it('has a fixture for every schema version (build a new one with make-fixtures.ts)', () => {
    expect(versions.filter((version) => !existsSync(join(fixtures, fixtureFileName(version))))).toEqual([]);
  });

  describe.each(versions.map((version, index) => ({ version, number: index + 1 })))(
    'a database at $version',
    ({ version, number }) => {
      it('migrates to the current schema and reads its rows back through the stores', async () => {
        const path = join(directory, `read-${version}.sqlite`);
        copyFileSync(join(fixtures, fixtureFileName(version)), path);
        const store = await openSqliteStore(path);
        try {
          expect(await store.responses.getResponse(project, 'resp_old2')).toEqual({
            id: 'resp_old2',
            projectId: project,
            status: 'completed',
            createdAt: 1_700_000_100,
            previousResponseId: 'resp_old1',
            conversationId: 'conv_old',
            background: true,
            eventsRecorded: true,
            body: { id: 'resp_old2', object: 'response', status: 'completed' },
            request: { model: 'oai/gpt-5', input: 'second', background: true },
          });
          expect(await store.responses.loadChainItems(project, 'resp_old2')).toEqual([
            item('msg_in1', 'first question'),
            item('msg_out1', 'first answer'),
            item('msg_in2', 'second question'),
            item('msg_out2', 'second answer'),
          ]);
          expect(await store.responses.listResponseEvents('resp_old2', 0)).toEqual([
            { sequenceNumber: 1, event: { type: 'response.completed', sequence_number: 1 } },
          ]);
          expect(await store.responses.listUnfinishedResponses()).toEqual([]);
          expect(await store.conversations.getConversation(project, 'conv_old')).toEqual({
            id: 'conv_old',
            projectId: project,
            createdAt: 1_700_000_050,
            metadata: { topic: 'fixture' },
          });
          expect(await store.conversations.loadConversationItems(project, 'conv_old')).toEqual([
            item('msg_c1', 'hello'),
            item('msg_c2', 'again'),
          ]);
          expect(await store.apiKeys.findApiKeyByHash(hashApiKey(fixtureApiKeySecret))).toEqual({
            id: 'key_old',
            name: 'old',
            projectId: project,
            hash: hashApiKey(fixtureApiKeySecret),
            prefix: 'sk-berth-fixtu',
            createdAt: 1_700_000_000,
            revokedAt: null,
          });
          expect(await store.apiKeys.countApiKeys()).toBe(1);

          const file = await store.files.getFile(project, 'file-old');
          expect(file).toEqual(
            number < 2
              ? undefined
              : {
                  id: 'file-old',
                  projectId: project,
                  filename: 'notes.txt',
                  purpose: 'user_data',
                  bytes: 5,
                  createdAt: 1_700_000_200,
                  expiresAt: null,
                },
          );

          expect(await store.containers.getContainer(project, 'cntr_old')).toEqual(
            number < 3
              ? undefined
              : {
                  id: 'cntr_old',
                  projectId: project,
                  name: 'work',
                  status: 'running',
                  createdAt: 1_700_000_300,
                  lastActiveAt: 1_700_000_400,
                  expiresAfterMinutes: 20,
                  memoryLimit: '1g',
                  networkPolicy: { type: 'disabled' },
                  image: 'host',
                  // A container from before 0004_skills had no skills column: it has none attached.
                  skills:
                    number < 4
                      ? []
                      : [{ name: 'math', description: 'Does sums.', skillId: 'skill_old', version: 1 }],
                },
          );
          expect(await store.containers.allContainerFiles('cntr_old')).toEqual(
            number < 3
              ? []
              : [
                  {
                    id: 'cfile_old',
                    containerId: 'cntr_old',
                    path: '/mnt/data/notes.txt',
                    source: 'user',
                    bytes: 5,
                    createdAt: 1_700_000_350,
                  },
                ],
          );

          expect(await store.skills.getSkill(project, 'skill_old')).toEqual(
            number < 4
              ? undefined
              : {
                  id: 'skill_old',
                  projectId: project,
                  name: 'math',
                  description: 'Does sums.',
                  createdAt: 1_700_000_500,
                  defaultVersion: 1,
                  latestVersion: 1,
                },
          );

          expect((await store.toolCalls.listToolCalls(project, 'resp_old2', page)).data).toEqual(
            number < 5
              ? []
              : [
                  {
                    id: 'tcl_old',
                    projectId: project,
                    responseId: 'resp_old2',
                    callId: 'call_old',
                    itemId: 'sh_old',
                    commandIndex: 0,
                    command: 'echo hi',
                    containerId: 'cntr_old',
                    session: 'default',
                    startedAt: 1_700_000_100_000,
                    endedAt: 1_700_000_100_250,
                    outcome: { type: 'exit', exitCode: 0 },
                    stdoutBytes: 3,
                    stderrBytes: 0,
                  },
                ],
          );
          expect((await store.egressLog.listEgress(project, 'cntr_old', page)).data).toEqual(
            number < 6
              ? []
              : [
                  {
                    id: 'egr_old',
                    projectId: project,
                    containerId: 'cntr_old',
                    responseId: 'resp_old2',
                    callId: 'call_old',
                    at: 1_700_000_100_100,
                    method: 'CONNECT',
                    host: 'pypi.org',
                    port: 443,
                    allowed: false,
                    reason: "not in the container's allowed_domains",
                    address: null,
                    status: 403,
                    bytesOut: 0,
                    bytesIn: 0,
                    intercepted: false,
                  },
                ],
          );
        } finally {
          await store.close();
        }
      });

      it('takes new rows of every aggregate once migrated, numbering after the old ones', async () => {
        const path = join(directory, `write-${version}.sqlite`);
        copyFileSync(join(fixtures, fixtureFileName(version)), path);
        const store = await openSqliteStore(path);
        try {
          await store.responses.writeResponse({
            response: {
              id: 'resp_new',
              projectId: project,
              status: 'completed',
              createdAt: 1_800_000_000,
              previousResponseId: 'resp_old2',
              conversationId: 'conv_old',
              background: false,
              eventsRecorded: false,
              body: { id: 'resp_new', object: 'response', status: 'completed' },
              request: null,
            },
            inputItems: [item('msg_new', 'new question')],
            conversationItems: { conversationId: 'conv_old', items: [item('msg_c3', 'new')] },
          });
          expect(
            (await store.responses.loadChainItems(project, 'resp_new'))?.map((entry) => entry.id),
          ).toEqual(['msg_in1', 'msg_out1', 'msg_in2', 'msg_out2', 'msg_new']);
          expect(
            (await store.conversations.loadConversationItems(project, 'conv_old'))?.map((entry) => entry.id),
          ).toEqual(['msg_c1', 'msg_c2', 'msg_c3']);

          await store.files.createFile({
            id: 'file-new',
            projectId: project,
            filename: 'new.txt',
            purpose: 'user_data',
            bytes: 1,
            createdAt: 1_800_000_000,
            expiresAt: null,
          });
          const files = await store.files.listFiles(project, { ...page, now: 1_800_000_000 });
          expect(files.data.map((entry) => entry.id)).toEqual(
            number < 2 ? ['file-new'] : ['file-old', 'file-new'],
          );

          await store.containers.createContainer({
            id: 'cntr_new',
            projectId: project,
            name: 'work',
            status: 'running',
            createdAt: 1_800_000_000,
            lastActiveAt: 1_800_000_000,
            expiresAfterMinutes: 20,
            memoryLimit: '1g',
            networkPolicy: { type: 'disabled' },
            image: 'host',
            skills: [],
          });
          const containers = await store.containers.listContainers(project, page);
          expect(containers.data.map((entry) => entry.id)).toEqual(
            number < 3 ? ['cntr_new'] : ['cntr_old', 'cntr_new'],
          );

          if (number < 4) {
            await store.skills.createSkill(
              { id: 'skill_old', projectId: project, createdAt: 1_800_000_000 },
              { id: 'skillver_old1', name: 'math', description: 'Does sums.', createdAt: 1_800_000_000 },
            );
          }
          const added = await store.skills.addSkillVersion(
            project,
            'skill_old',
            { id: 'skillver_new', name: 'math', description: 'Does more sums.', createdAt: 1_800_000_000 },
            false,
          );
          // The fixture's skill had given out version 2 already (then deleted it).
          expect(added?.version).toBe(number < 4 ? 2 : 3);

          await store.toolCalls.recordToolCall({
            id: 'tcl_new',
            projectId: project,
            responseId: 'resp_new',
            callId: 'call_new',
            itemId: 'sh_new',
            commandIndex: 0,
            command: 'true',
            containerId: 'cntr_new',
            session: 'default',
            startedAt: 1_800_000_000_000,
            endedAt: 1_800_000_000_010,
            outcome: { type: 'timeout' },
            stdoutBytes: 0,
            stderrBytes: 0,
          });
          expect(
            (await store.toolCalls.listToolCalls(project, 'resp_new', page)).data.map((entry) => entry.id),
          ).toEqual(['tcl_new']);

          await store.egressLog.recordEgress({
            id: 'egr_new',
            projectId: project,
            containerId: 'cntr_old',
            responseId: null,
            callId: null,
            at: 1_800_000_000_000,
            method: 'GET',
            host: 'example.com',
            port: 80,
            allowed: true,
            reason: null,
            address: '93.184.215.14',
            status: 200,
            bytesOut: 80,
            bytesIn: 1_256,
            intercepted: false,
          });
          expect(
            (await store.egressLog.listEgress(project, 'cntr_old', page)).data.map((entry) => entry.id),
          ).toEqual(number < 6 ? ['egr_new'] : ['egr_old', 'egr_new']);
        } finally {
          await store.close();
        }
      });
    },
  );
});
