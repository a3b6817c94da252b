/** One piece of a streamed answer, whatever the server's wire format (SSE chunks, Ollama's NDJSON). */
export interface StreamEvent {
  /** Answer text (never reasoning). */
  text?: string;
  /** The piece carried reasoning (never part of the answer): progress all the same. */
  thinking?: boolean;
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number };
  /** The model name the server answered with. */
  model?: string;
  systemFingerprint?: string;
}
