import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { ResponseReasoningItem } from 'openai/resources/responses/responses';

/**
 * An assistant message as Berth sends it: OpenAI's shape plus `reasoning_content`, the field vLLM,
 * llama.cpp and DeepSeek read a model's earlier reasoning from (the SDK sends the body as it is).
 */
export type ChatAssistantMessage = ChatCompletionAssistantMessageParam & { reasoning_content?: string };

/** An assistant message being assembled: its reasoning and text, then the calls that follow it. */
interface OpenAssistantMessage {
  readonly content: string | null;
  readonly toolCalls: ChatCompletionMessageFunctionToolCall[];
  /** The raw reasoning text of the reasoning items that belong to this message, in order. */
  readonly reasoning: string[];
}

/**
 * Gathers the assistant-side items of a Responses context into Chat Completions assistant messages.
 * Chat has one assistant message per turn holding its reasoning, its text and its calls, where
 * Responses has one item each; so calls join the open message and only text, or a message of another
 * role, starts a new one.
 *
 * Raw reasoning text goes back as `reasoning_content`: models whose chat templates render earlier
 * reasoning need it, and DeepSeek's thinking mode answers 400 when a message with tool calls comes
 * back without it. It belongs to the message the next assistant item lands in, else (the model was
 * cut off, or reasoned after its calls) to the message still open before it; with neither, it is
 * dropped. A summary is not the model's own text and encrypted reasoning is another provider's: both
 * are dropped too.
 */
export class ChatAssistantMessages {
  readonly #messages: ChatCompletionMessageParam[];
  #open: OpenAssistantMessage | null = null;
  /** Reasoning text waiting for the assistant message it belongs to. */
  #reasoning: string[] = [];

  /** Finished messages are appended to `messages`. */
  constructor(messages: ChatCompletionMessageParam[]) {
    this.#messages = messages;
  }

  /** A reasoning item: its raw text waits for its message, which stays open meanwhile. */
  addReasoning(item: ResponseReasoningItem): void {
    const text = (item.content ?? []).map((part) => part.text).join('');
    if (text !== '') this.#reasoning.push(text);
  }

  /** An assistant message's text: a new Chat message, holding the reasoning that came before it. */
  addText(content: string | null): void {
    const reasoning = this.#takeReasoning();
    this.flush();
    this.#open = { content, toolCalls: [], reasoning };
  }

  /** A function or shell call: it joins the open message, or opens one with `null` content. */
  addToolCall(call: ChatCompletionMessageFunctionToolCall): void {
    this.#open ??= { content: null, toolCalls: [], reasoning: [] };
    this.#open.reasoning.push(...this.#takeReasoning());
    this.#open.toolCalls.push(call);
  }

  /** Ends the open message: a message of another role follows, or the input ends. */
  flush(): void {
    const leftOver = this.#takeReasoning();
    const open = this.#open;
    if (open === null) return;
    this.#open = null;
    open.reasoning.push(...leftOver);
    const message: ChatAssistantMessage = {
      role: 'assistant',
      // `null` (not "") is the spec's value for a message that is only tool calls.
      content: open.content,
      ...(open.toolCalls.length > 0 ? { tool_calls: open.toolCalls } : {}),
      ...(open.reasoning.length > 0 ? { reasoning_content: open.reasoning.join('\n') } : {}),
    };
    this.#messages.push(message);
  }

  #takeReasoning(): string[] {
    const taken = this.#reasoning;
    this.#reasoning = [];
    return taken;
  }
}
