import type { Page, PageRequest } from './page.js';

/** The tool-call log: one record per command a hosted shell call ran. */
export interface ToolCallStore {
  /**
   * Records one command a hosted shell call ran, as it finishes. The response need not be written
   * yet (a foreground response is written only when it ends); its log goes when it is deleted
   * (`ResponseStore.deleteResponse`).
   */
  recordToolCall(record: ToolCallRecord): Promise<void>;
  /**
   * One page of a response's tool-call log, ordered by start time then command index (`asc` is
   * oldest first). Does not check that the response exists: callers answer 404 for that.
   */
  listToolCalls(projectId: string, responseId: string, page: PageRequest): Promise<Page<ToolCallRecord>>;
  /**
   * The command of container `containerId` that most likely ran at some moment from `fromMs` to
   * `toMs` (epoch milliseconds; a command's start and end are included): one running at `fromMs`
   * (the latest started, if several were), else the first to start within the window. Undefined if no
   * command ran in it. Artefact lineage: a file's modification time, read from a kernel clock that
   * may lag by a tick, names the command that last wrote it. Commands of one call run back to back,
   * so preferring the one running at the stamp credits a file written as a command ended to that
   * command, not to the next one.
   */
  findToolCallDuring(
    projectId: string,
    containerId: string,
    fromMs: number,
    toMs: number,
  ): Promise<ToolCallRecord | undefined>;
}

/** One command a hosted shell call ran: the tool-call log's row. */
export interface ToolCallRecord {
  /** `tcl_…`. */
  readonly id: string;
  readonly projectId: string;
  readonly responseId: string;
  /** The shell_call's `call_id`. */
  readonly callId: string;
  /** The shell_call item's id (`sh_…`). */
  readonly itemId: string;
  /** Position in `shell_call.action.commands`. */
  readonly commandIndex: number;
  /** The command line as the model sent it. */
  readonly command: string;
  /** The container the command ran in. */
  readonly containerId: string;
  /** The container shell session it ran in. */
  readonly session: string;
  /** Epoch milliseconds. */
  readonly startedAt: number;
  /** Epoch milliseconds. */
  readonly endedAt: number;
  /** How the command ended. */
  readonly outcome: { readonly type: 'exit'; readonly exitCode: number } | { readonly type: 'timeout' };
  /** Bytes the command wrote to stdout, before any output cap. */
  readonly stdoutBytes: number;
  /** Bytes the command wrote to stderr, before any output cap. */
  readonly stderrBytes: number;
}
