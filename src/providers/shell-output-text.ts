import type { ResponseFunctionShellCallOutputContent } from 'openai/resources/responses/responses';

/**
 * A `shell_call_output`'s entries as one text, for models whose shell tool answers in plain text
 * (Anthropic's bash tool, a Chat Completions `shell` function): each command's stdout, then its stderr,
 * then how it ended when that is not a plain success. Several commands are told apart by a header.
 */
export function shellOutputText(output: readonly ResponseFunctionShellCallOutputContent[]): string {
  const sections = output.map((entry, index) => {
    const lines: string[] = [];
    if (output.length > 1) lines.push(`--- command ${index + 1} of ${output.length} ---`);
    if (entry.stdout) lines.push(withoutFinalNewline(entry.stdout));
    if (entry.stderr)
      lines.push(
        entry.stdout ? `stderr:\n${withoutFinalNewline(entry.stderr)}` : withoutFinalNewline(entry.stderr),
      );
    if (entry.outcome.type === 'timeout') lines.push('[timed out]');
    else if (entry.outcome.exit_code !== 0) lines.push(`[exit code ${entry.outcome.exit_code}]`);
    if (!entry.stdout && !entry.stderr && entry.outcome.type === 'exit' && entry.outcome.exit_code === 0)
      lines.push('(no output)');
    return lines.join('\n');
  });
  return sections.join('\n');
}

function withoutFinalNewline(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}
