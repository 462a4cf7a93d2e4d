import { z } from 'zod';

/*
 * Lenient schemas for what OpenAI-compatible servers send back. The `openai` SDK types describe
 * OpenAI's own server, but Ollama, vLLM, llama.cpp, LM Studio, OpenRouter and Gemini's compatibility
 * endpoint each leave fields out or send `null` where OpenAI sends a value, so nearly every field is
 * `nullish()` and unknown fields are stripped rather than rejected. Only a wrong *type* (garbage)
 * fails validation.
 */

/**
 * `content` is a string on every server we know of, except Mistral-style servers that send an array
 * of typed parts (text plus `thinking` parts); the text parts are kept.
 */
const chatContentSchema = z
  .union([z.string(), z.array(z.object({ type: z.string().nullish(), text: z.string().nullish() }))])
  .nullish();

/** Tool call arguments are JSON text per the spec; some servers send the parsed object instead. */
const chatArgumentsSchema = z.union([z.string(), z.record(z.string(), z.unknown())]).nullish();

/**
 * `usage`: any counter may be missing; llama.cpp and older Ollama omit the `*_details` objects.
 * DeepSeek reports cache hits in its own `prompt_cache_hit_tokens` instead of `prompt_tokens_details`.
 */
export const chatUsageSchema = z
  .object({
    prompt_tokens: z.number().nullish(),
    completion_tokens: z.number().nullish(),
    prompt_tokens_details: z
      .object({ cached_tokens: z.number().nullish(), cache_write_tokens: z.number().nullish() })
      .nullish(),
    prompt_cache_hit_tokens: z.number().nullish(),
    completion_tokens_details: z.object({ reasoning_tokens: z.number().nullish() }).nullish(),
  })
  .nullish();

/**
 * The reasoning text fields servers invent, since Chat Completions has none: `reasoning_content`
 * (vLLM, DeepSeek, llama.cpp) and `reasoning` (Ollama, OpenRouter, newer vLLM).
 */
const reasoningFields = {
  reasoning_content: z.string().nullish(),
  reasoning: z.string().nullish(),
};

/** One entry of a streamed `delta.tool_calls`; only the first delta of a call carries `id` and name. */
const chatToolCallDeltaSchema = z.object({
  // Gemini's compatibility endpoint has been seen to omit `index`; the assembler falls back on `id`.
  index: z.number().nullish(),
  id: z.string().nullish(),
  function: z.object({ name: z.string().nullish(), arguments: chatArgumentsSchema }).nullish(),
});

/** A streamed `chat.completion.chunk` as compatible servers actually send it. */
export const chatCompletionChunkSchema = z.object({
  // The usage chunk has `choices: []` on OpenAI; some servers drop the key altogether.
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: chatContentSchema,
            refusal: z.string().nullish(),
            tool_calls: z.array(chatToolCallDeltaSchema).nullish(),
            ...reasoningFields,
          })
          .nullish(),
        // Kept as a string: servers add their own values (vLLM `abort`, OpenRouter `error`).
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: chatUsageSchema,
});

/** A non-streaming `chat.completion` as compatible servers actually send it. */
export const chatCompletionSchema = z.object({
  choices: z
    .array(
      z.object({
        message: z
          .object({
            content: chatContentSchema,
            refusal: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  id: z.string().nullish(),
                  function: z
                    .object({ name: z.string().nullish(), arguments: chatArgumentsSchema })
                    .nullish(),
                }),
              )
              .nullish(),
            ...reasoningFields,
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: chatUsageSchema,
});

export type ChatCompletionChunkData = z.infer<typeof chatCompletionChunkSchema>;
export type ChatCompletionData = z.infer<typeof chatCompletionSchema>;
export type ChatContent = z.infer<typeof chatContentSchema>;
export type ChatArguments = z.infer<typeof chatArgumentsSchema>;
export type ChatUsageData = z.infer<typeof chatUsageSchema>;
