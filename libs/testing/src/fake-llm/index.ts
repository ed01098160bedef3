// Fake LLM providers speaking the real wire protocols (OpenAI-compatible and Anthropic), for
// ai-gateway's tests and benchmark and for any service that calls a model through it.
export * from './fake-llm-server';
export * from './fake-openai';
export * from './fake-anthropic';
