import type { RedactedThinkingBlockParam, ThinkingBlockParam } from '@anthropic-ai/sdk/resources/messages';

/*
 * Anthropic's thinking blocks must go back to the API unchanged (thinking text plus the signature that
 * proves Claude wrote it) for extended thinking to keep working across tool calls. Berth carries them
 * in the Responses reasoning item: the thinking text as its summary and the signature in
 * `encrypted_content`. The prefixes tell our own values apart from another provider's encrypted
 * reasoning (OpenAI's `encrypted_content`), which Anthropic could not verify and would reject.
 */
const thinkingPrefix = 'anthropic-thinking:';
const redactedThinkingPrefix = 'anthropic-redacted-thinking:';

/** The `encrypted_content` that carries a thinking block's signature. */
export function encodeThinkingSignature(signature: string): string {
  return thinkingPrefix + signature;
}

/** The `encrypted_content` that carries a redacted thinking block's opaque data. */
export function encodeRedactedThinking(data: string): string {
  return redactedThinkingPrefix + data;
}

/**
 * Rebuilds the thinking block a reasoning item came from, or null when its `encrypted_content` is not
 * ours (reasoning from another provider is dropped: Anthropic cannot verify it).
 */
export function decodeThinkingBlock(
  encryptedContent: string | null | undefined,
  summaryText: string,
): ThinkingBlockParam | RedactedThinkingBlockParam | null {
  if (encryptedContent?.startsWith(thinkingPrefix)) {
    return {
      type: 'thinking',
      thinking: summaryText,
      signature: encryptedContent.slice(thinkingPrefix.length),
    };
  }
  if (encryptedContent?.startsWith(redactedThinkingPrefix)) {
    return { type: 'redacted_thinking', data: encryptedContent.slice(redactedThinkingPrefix.length) };
  }
  return null;
}
