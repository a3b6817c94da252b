/**
 * A tiny but real llama model in GGUF v3, generated in memory for tests (no weights can be
 * downloaded here). llama.cpp loads it and samples real, meaningless text; everything in it,
 * including the weights, follows from the seed, so the same seed always gives the same bytes.
 *
 * Shape: llama architecture, byte-level `gpt2` tokenizer (256 byte tokens + BOS + EOS, no merges),
 * 2 layers, 64-wide embeddings, 4 heads, FFN 128, float32 weights: about 460 KB.
 */
import { writeFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";

export interface TinyModelOptions {
  /** Seeds the weights; a different seed gives a different model. Default 1. */
  seed?: number;
  /** `llama.context_length` (the training context). Default 4096. */
  contextLength?: number;
  /** A bigger (or smaller) model of the same kind, e.g. for benchmarks where generation should dominate. */
  shape?: Partial<Pick<ModelShape, "embedding" | "layers" | "heads" | "feedForward">>;
  /**
   * Makes the byte tokens 128-255 control tokens (type 3): they then render as nothing, so every
   * answer is ASCII. llama-server needs this (it answers 500 to text that is not valid UTF-8);
   * the embedded engine works with either. Default false.
   */
  asciiOnly?: boolean;
  /** `tokenizer.chat_template` (Jinja), so engines format chats the model's way instead of their own default. */
  chatTemplate?: string;
}

/** ChatML, the template llama-server falls back to for a model without one. */
export const CHATML_TEMPLATE =
  "{%- for message in messages -%}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' -}}{%- endfor -%}" +
  "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}";

export type ModelShape = { -readonly [K in keyof typeof TINY_MODEL]: number };

export const TINY_MODEL = {
  vocabSize: 258,
  bosTokenId: 256,
  eosTokenId: 257,
  embedding: 64,
  layers: 2,
  heads: 4,
  feedForward: 128,
} as const;

// GGUF value types.
const UINT32 = 4;
const INT32 = 5;
const FLOAT32 = 6;
const BOOL = 7;
const STRING = 8;
const ARRAY = 9;
const ALIGNMENT = 32;
const GGML_TYPE_F32 = 0;

type Value =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "i32[]"; value: number[] };

/** Writes little-endian values into a growing buffer. */
class ByteWriter {
  private buffer = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + bytes) size *= 2;
    const next = Buffer.alloc(size);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
  u32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32LE(value, this.length);
  }
  i32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeInt32LE(value, this.length);
  }
  u64(value: number): void {
    this.reserve(8);
    this.length = this.buffer.writeBigUInt64LE(BigInt(value), this.length);
  }
  f32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeFloatLE(value, this.length);
  }
  u8(value: number): void {
    this.reserve(1);
    this.length = this.buffer.writeUInt8(value, this.length);
  }
  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.bytes(bytes);
  }
  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }
  padTo(alignment: number): void {
    while (this.length % alignment !== 0) this.u8(0);
  }
  result(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** GPT-2's byte-to-unicode table: the token string llama.cpp's byte-level BPE expects for each byte. */
function gpt2ByteToUnicode(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + next++);
  }
  return table;
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Tensor {
  name: string;
  /** ggml order: dims[0] is the contiguous (row) dimension. */
  dims: number[];
  data: Float32Array;
}

function tensors(seed: number, shape: ModelShape): Tensor[] {
  const { vocabSize, embedding, layers, feedForward } = shape;
  const random = prng(seed);
  const uniform = (dims: number[], scale: number): Tensor["data"] => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * scale;
    return data;
  };
  const ones = (n: number) => new Float32Array(n).fill(1);
  // Scales keep activations around 1 so the logits are spread enough that the seed matters.
  const list: Tensor[] = [
    { name: "token_embd.weight", dims: [embedding, vocabSize], data: uniform([embedding, vocabSize], 1) },
    { name: "output_norm.weight", dims: [embedding], data: ones(embedding) },
    { name: "output.weight", dims: [embedding, vocabSize], data: uniform([embedding, vocabSize], 0.4) },
  ];
  for (let i = 0; i < layers; i++) {
    const square = [embedding, embedding];
    list.push(
      { name: `blk.${i}.attn_norm.weight`, dims: [embedding], data: ones(embedding) },
      { name: `blk.${i}.attn_q.weight`, dims: square, data: uniform(square, 0.2) },
      { name: `blk.${i}.attn_k.weight`, dims: square, data: uniform(square, 0.2) },
      { name: `blk.${i}.attn_v.weight`, dims: square, data: uniform(square, 0.2) },
      { name: `blk.${i}.attn_output.weight`, dims: square, data: uniform(square, 0.2) },
      { name: `blk.${i}.ffn_norm.weight`, dims: [embedding], data: ones(embedding) },
      {
        name: `blk.${i}.ffn_gate.weight`,
        dims: [embedding, feedForward],
        data: uniform([embedding, feedForward], 0.2),
      },
      { name: `blk.${i}.ffn_up.weight`, dims: [embedding, feedForward], data: uniform([embedding, feedForward], 0.2) },
      {
        name: `blk.${i}.ffn_down.weight`,
        dims: [feedForward, embedding],
        data: uniform([feedForward, embedding], 0.15),
      },
    );
  }
  return list;
}

function metadata(
  contextLength: number,
  shape: ModelShape,
  asciiOnly: boolean,
  chatTemplate?: string,
): [string, Value][] {
  const { vocabSize, bosTokenId, eosTokenId, embedding, layers, heads, feedForward } = shape;
  const tokens = [...gpt2ByteToUnicode(), "<|startoftext|>", "<|endoftext|>"];
  // Token types: 1 normal (byte-level BPE treats byte tokens as normal), 3 control.
  // "<|endoftext|>" is a name llama.cpp recognizes as end-of-generation, so it does not warn.
  const control = (id: number) => id === bosTokenId || id === eosTokenId || (asciiOnly && id >= 128 && id < 256);
  const tokenTypes = tokens.map((_, id) => (control(id) ? 3 : 1));
  if (tokens.length !== vocabSize) throw new Error("tiny model vocabulary size mismatch");
  return [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "promptcode tiny test model" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["general.file_type", { type: "u32", value: 0 }], // all F32
    ["llama.vocab_size", { type: "u32", value: vocabSize }],
    ["llama.context_length", { type: "u32", value: contextLength }],
    ["llama.embedding_length", { type: "u32", value: embedding }],
    ["llama.block_count", { type: "u32", value: layers }],
    ["llama.feed_forward_length", { type: "u32", value: feedForward }],
    ["llama.attention.head_count", { type: "u32", value: heads }],
    ["llama.attention.head_count_kv", { type: "u32", value: heads }],
    ["llama.rope.dimension_count", { type: "u32", value: embedding / heads }],
    ["llama.rope.freq_base", { type: "f32", value: 10000 }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
    ["tokenizer.ggml.pre", { type: "string", value: "default" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: tokens }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: tokenTypes }],
    ["tokenizer.ggml.merges", { type: "string[]", value: [] }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: bosTokenId }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: eosTokenId }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
    ...(chatTemplate !== undefined
      ? ([["tokenizer.chat_template", { type: "string", value: chatTemplate }]] as [string, Value][])
      : []),
  ];
}

function writeValue(out: ByteWriter, value: Value): void {
  switch (value.type) {
    case "u32":
      out.u32(UINT32);
      out.u32(value.value);
      return;
    case "f32":
      out.u32(FLOAT32);
      out.f32(value.value);
      return;
    case "bool":
      out.u32(BOOL);
      out.u8(value.value ? 1 : 0);
      return;
    case "string":
      out.u32(STRING);
      out.string(value.value);
      return;
    case "string[]":
      out.u32(ARRAY);
      out.u32(STRING);
      out.u64(value.value.length);
      for (const item of value.value) out.string(item);
      return;
    case "i32[]":
      out.u32(ARRAY);
      out.u32(INT32);
      out.u64(value.value.length);
      for (const item of value.value) out.i32(item);
      return;
  }
}

/** The bytes of a tiny llama GGUF model; the same options always give the same bytes. */
export function tinyModelBytes(options: TinyModelOptions = {}): Buffer {
  const seed = options.seed ?? 1;
  const shape: ModelShape = { ...TINY_MODEL, ...options.shape };
  const kv = metadata(options.contextLength ?? 4096, shape, options.asciiOnly ?? false, options.chatTemplate);
  const list = tensors(seed, shape);
  const out = new ByteWriter();
  out.bytes(Buffer.from("GGUF", "ascii"));
  out.u32(3);
  out.u64(list.length);
  out.u64(kv.length);
  for (const [key, value] of kv) {
    out.string(key);
    writeValue(out, value);
  }
  let offset = 0;
  for (const tensor of list) {
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GGML_TYPE_F32);
    out.u64(offset);
    offset += Math.ceil(tensor.data.byteLength / ALIGNMENT) * ALIGNMENT;
  }
  out.padTo(ALIGNMENT);
  for (const tensor of list) {
    out.bytes(new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength));
    out.padTo(ALIGNMENT);
  }
  return out.result();
}

/** Writes a tiny llama GGUF model to `path`. */
export async function writeTinyModel(path: string, options: TinyModelOptions = {}): Promise<void> {
  await writeFile(path, tinyModelBytes(options));
}

/** Synchronous {@link writeTinyModel}. */
export function writeTinyModelSync(path: string, options: TinyModelOptions = {}): void {
  writeFileSync(path, tinyModelBytes(options));
}
