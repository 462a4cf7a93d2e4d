// An "instant" OpenAI Responses upstream in its own process, for the gateway benchmark: it answers
// every request at once with a short scripted reply, so what is measured is Berth, not a model.
import { startFakeOpenAIResponsesUpstream } from '../test/support/fake-openai-responses-upstream.js';

const upstream = await startFakeOpenAIResponsesUpstream();
// The fake records requests for tests; the benchmark sends hundreds of thousands, so drop them.
setInterval(() => upstream.requests.splice(0), 1000).unref();
console.log(`upstream ${upstream.baseURL}`);
