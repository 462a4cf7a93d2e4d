import type {
  ResponseFunctionCallOutputItem,
  ResponseInputContent,
  ResponseOutputRefusal,
  ResponseOutputText,
} from 'openai/resources/responses/responses';

/** Any content part a Responses message or function call output can hold. */
export type ResponsesContentPart =
  ResponseInputContent | ResponseOutputText | ResponseOutputRefusal | ResponseFunctionCallOutputItem;
