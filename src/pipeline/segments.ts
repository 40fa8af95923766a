/**
 * Walks OpenAI request and response bodies to find every text a check must
 * see, and writes transformed texts back. Paths are arrays of keys so that a
 * redaction lands exactly where the text came from.
 */
import type { ImageRef, Redaction, SegmentSource, TextSegment } from './types.js';

export type Path = Array<string | number>;

export interface Extracted {
  segments: TextSegment[];
  images: ImageRef[];
  /** paths[i] locates segments[i] in the body */
  paths: Path[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pathString(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

class Collector {
  readonly out: Extracted = { segments: [], images: [], paths: [] };

  text(text: unknown, path: Path, role: TextSegment['role'], source: SegmentSource): void {
    if (typeof text !== 'string' || text === '') return;
    this.out.segments.push({ text, role, source, path: pathString(path) });
    this.out.paths.push(path);
  }

  image(url: unknown, path: Path): void {
    if (typeof url === 'string' && url !== '') this.out.images.push({ url, path: pathString(path) });
  }

  /** Chat or Responses content: a string, or an array of typed parts. */
  content(content: unknown, path: Path, role: TextSegment['role'], source: SegmentSource): void {
    if (typeof content === 'string') return this.text(content, path, role, source);
    if (!Array.isArray(content)) return;
    content.forEach((part, i) => {
      if (!isObject(part)) return;
      const p = [...path, i];
      switch (part.type) {
        case 'text':
        case 'input_text':
        case 'output_text':
          return this.text(part.text, [...p, 'text'], role, source);
        case 'refusal':
          return this.text(part.refusal, [...p, 'refusal'], role, source);
        case 'image_url':
          return this.image(isObject(part.image_url) ? part.image_url.url : undefined, [...p, 'image_url', 'url']);
        case 'input_image':
          return this.image(part.image_url, [...p, 'image_url']);
        default:
          return undefined;
      }
    });
  }
}

const CHAT_ROLES = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

function chatSource(role: string): { role: TextSegment['role']; source: SegmentSource } {
  switch (role) {
    case 'system':
    case 'developer':
      return { role, source: 'instructions' };
    case 'tool':
    case 'function':
      return { role: 'tool', source: 'tool' };
    case 'assistant':
      return { role: 'assistant', source: 'prompt' };
    default:
      return { role: 'user', source: 'prompt' };
  }
}

/** Texts and images of a Chat Completions request. */
export function extractChatInput(body: Json): Extracted {
  const c = new Collector();
  const messages = Array.isArray(body.messages) ? body.messages : [];
  messages.forEach((message, i) => {
    if (!isObject(message)) return;
    const roleName = typeof message.role === 'string' && CHAT_ROLES.has(message.role) ? message.role : 'user';
    const { role, source } = chatSource(roleName);
    c.content(message.content, ['messages', i, 'content'], role, source);
    if (typeof message.refusal === 'string') c.text(message.refusal, ['messages', i, 'refusal'], role, source);
    if (Array.isArray(message.tool_calls)) {
      message.tool_calls.forEach((call, j) => {
        if (isObject(call) && isObject(call.function)) {
          c.text(call.function.arguments, ['messages', i, 'tool_calls', j, 'function', 'arguments'], role, source);
        }
      });
    }
  });
  return c.out;
}

/** Texts and images of a Responses request: `instructions`, `input` (string or items). */
export function extractResponsesInput(body: Json): Extracted {
  const c = new Collector();
  c.text(body.instructions, ['instructions'], 'system', 'instructions');
  const input = body.input;
  if (typeof input === 'string') {
    c.text(input, ['input'], 'user', 'prompt');
    return c.out;
  }
  if (!Array.isArray(input)) return c.out;
  input.forEach((item, i) => {
    if (!isObject(item)) return;
    const type = item.type ?? 'message';
    if (type === 'message') {
      const roleName = typeof item.role === 'string' ? item.role : 'user';
      const { role, source } = chatSource(roleName);
      c.content(item.content, ['input', i, 'content'], role, source);
    } else if (type === 'function_call_output' || type === 'custom_tool_call_output' || type === 'shell_call_output' || type === 'mcp_call_output') {
      // Tool results are untrusted third-party text: the main route of indirect prompt injection.
      if (typeof item.output === 'string') c.text(item.output, ['input', i, 'output'], 'tool', 'tool');
      else c.content(item.output, ['input', i, 'output'], 'tool', 'tool');
    } else if (type === 'function_call') {
      c.text(item.arguments, ['input', i, 'arguments'], 'assistant', 'prompt');
    }
  });
  return c.out;
}

/** Texts of a non-streamed Chat Completions answer. */
export function extractChatOutput(body: Json): Extracted {
  const c = new Collector();
  const choices = Array.isArray(body.choices) ? body.choices : [];
  choices.forEach((choice, i) => {
    if (!isObject(choice) || !isObject(choice.message)) return;
    const m = choice.message;
    c.content(m.content, ['choices', i, 'message', 'content'], 'output', 'output');
    c.text(m.refusal, ['choices', i, 'message', 'refusal'], 'output', 'output');
    if (Array.isArray(m.tool_calls)) {
      m.tool_calls.forEach((call, j) => {
        if (isObject(call) && isObject(call.function)) {
          c.text(call.function.arguments, ['choices', i, 'message', 'tool_calls', j, 'function', 'arguments'], 'output', 'output');
        }
      });
    }
  });
  return c.out;
}

/** Texts of a Responses object's output items. */
export function extractResponsesOutput(body: Json): Extracted {
  const c = new Collector();
  const output = Array.isArray(body.output) ? body.output : [];
  output.forEach((item, i) => {
    if (!isObject(item)) return;
    if (item.type === 'message') c.content(item.content, ['output', i, 'content'], 'output', 'output');
    else if (item.type === 'function_call' || item.type === 'custom_tool_call') {
      c.text(item.arguments ?? item.input, ['output', i, item.type === 'function_call' ? 'arguments' : 'input'], 'output', 'output');
    }
  });
  return c.out;
}

export function setAtPath(body: Json, path: Path, value: unknown): void {
  let node: unknown = body;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  (node as Record<string | number, unknown>)[path[path.length - 1]!] = value;
}

/**
 * Merges redaction spans from several checks: per segment, spans are sorted
 * and an overlapping span is folded into the one before it (the union is
 * replaced by the earlier span's replacement), so applying them is unambiguous.
 */
export function mergeRedactions(redactions: Redaction[]): Map<number, Redaction[]> {
  const bySegment = new Map<number, Redaction[]>();
  for (const r of redactions) {
    if (r.end < r.start) continue;
    const list = bySegment.get(r.segment) ?? [];
    list.push(r);
    bySegment.set(r.segment, list);
  }
  for (const [segment, list] of bySegment) {
    list.sort((a, b) => a.start - b.start || b.end - a.end);
    const merged: Redaction[] = [];
    for (const r of list) {
      const last = merged[merged.length - 1];
      if (last && r.start < last.end) {
        if (r.end > last.end) merged[merged.length - 1] = { ...last, end: r.end };
      } else merged.push({ ...r });
    }
    bySegment.set(segment, merged);
  }
  return bySegment;
}

/** Applies merged, non-overlapping spans to one text. */
export function applySpans(text: string, spans: Redaction[]): string {
  let out = '';
  let cursor = 0;
  for (const s of spans) {
    const start = Math.max(s.start, cursor);
    const end = Math.min(Math.max(s.end, start), text.length);
    out += text.slice(cursor, start) + s.replacement;
    cursor = end;
  }
  return out + text.slice(cursor);
}

/** Applies redactions to segment texts, returning the new texts (unchanged segments keep their string). */
export function redactSegments(segments: TextSegment[], redactions: Redaction[]): string[] {
  const merged = mergeRedactions(redactions);
  return segments.map((s, i) => {
    const spans = merged.get(i);
    return spans ? applySpans(s.text, spans) : s.text;
  });
}
