import { Command } from 'commander';
import { registerServeCommand } from './serve-command.js';
import { registerKeysCommand } from './keys-command.js';
import { registerImageCommand } from './image-command.js';
import { registerContainersCommand } from './containers-command.js';
import { registerExecCommand } from './exec-command.js';
import { registerCpCommand } from './cp-command.js';
import { registerResponsesCommand } from './responses-command.js';
import { packageVersion } from '../package-version.js';

const program = new Command()
  .name('berth')
  .description("A self-hosted agent runtime that speaks OpenAI's Responses API over any model provider.")
  .version(packageVersion(), '-V, --version', 'Print the version and exit.')
  .showHelpAfterError();
registerServeCommand(program);
registerKeysCommand(program);
registerImageCommand(program);
registerContainersCommand(program);
registerExecCommand(program);
registerCpCommand(program);
registerResponsesCommand(program);

await program.parseAsync(process.argv);
