import { asObject, type Json, type Rejection } from './fake-openai-wire.js';

// The fields the Responses API takes on shell input items (the SDK's ResponseInputItem.ShellCall and
// ShellCallOutput); anything else is an unknown parameter there.
const shellCallFields = new Set(['type', 'id', 'call_id', 'action', 'caller', 'environment', 'status']);
const actionFields = new Set(['commands', 'timeout_ms', 'max_output_length']);
const shellCallOutputFields = new Set([
  'type',
  'id',
  'call_id',
  'output',
  'caller',
  'max_output_length',
  'status',
]);
const outputEntryFields = new Set(['stdout', 'stderr', 'outcome']);

/**
 * The 400 api.openai.com gives for shell items an adapter must not send: a field input items do not
 * take (such as the `created_by` of a stored output) or an output whose call is not in the input.
 * Used by the Responses fake so a wrong conversion fails a test the way it would fail in production.
 */
export function shellInputRejection(input: readonly unknown[]): Rejection | null {
  const callIds = new Set<unknown>();
  for (const [index, item] of input.entries()) {
    const object = asObject(item);
    if (object['type'] === 'shell_call') {
      callIds.add(object['call_id']);
      const unknown =
        unknownField(object, shellCallFields, `input[${index}]`) ??
        unknownField(asObject(object['action']), actionFields, `input[${index}].action`);
      if (unknown) return unknown;
    }
    if (object['type'] === 'shell_call_output') {
      const unknown = unknownField(object, shellCallOutputFields, `input[${index}]`);
      if (unknown) return unknown;
      const entries = Array.isArray(object['output']) ? (object['output'] as unknown[]) : [];
      for (const [entryIndex, entry] of entries.entries()) {
        const unknownInEntry = unknownField(
          asObject(entry),
          outputEntryFields,
          `input[${index}].output[${entryIndex}]`,
        );
        if (unknownInEntry) return unknownInEntry;
      }
      if (!callIds.has(object['call_id'])) {
        return {
          message: `No tool call found for shell call output with call_id ${String(object['call_id'])}.`,
          param: 'input',
          code: null,
        };
      }
    }
  }
  return null;
}

function unknownField(object: Json, allowed: ReadonlySet<string>, path: string): Rejection | null {
  const field = Object.keys(object).find((key) => !allowed.has(key));
  if (field === undefined) return null;
  const param = `${path}.${field}`;
  return { message: `Unknown parameter: '${param}'.`, param, code: 'unknown_parameter' };
}
