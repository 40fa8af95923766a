/**
 * A minimal reader of Hugging Face `tokenizer.json` files for the tokenizers
 * that BERT-family classifiers use: WordPiece and WordLevel models, with the
 * BERT, Lowercase, Unicode-normalisation, StripAccents and Strip normalisers,
 * the BERT, Whitespace and WhitespaceSplit pre-tokenisers, and the
 * TemplateProcessing, BertProcessing and RobertaProcessing post-processors.
 *
 * Anything else (BPE, Unigram/SentencePiece, byte-level) is refused at load
 * with a message naming the unsupported part, rather than tokenising wrongly.
 */

type Json = Record<string, unknown>;

export interface Encoding {
  /** token ids of the text, without special tokens */
  ids: number[];
}

export interface SpecialTokens {
  /** ids before the sequence (e.g. [CLS]) */
  prefix: number[];
  /** ids after the sequence (e.g. [SEP]) */
  suffix: number[];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Normalizer = (text: string) => string;
type PreTokenizer = (text: string) => string[];

const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/gu;
const WHITESPACE = /[\t\n\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/gu;
const CJK = /([\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\u{20000}-\u{2a6df}\u{2a700}-\u{2ceaf}\u{2f800}-\u{2fa1f}])/gu;
const MARKS = /\p{Mn}/gu;

function stripAccents(text: string): string {
  return text.normalize('NFD').replace(MARKS, '');
}

function normalizer(spec: unknown): Normalizer {
  if (spec === null || spec === undefined) return (t) => t;
  if (!isObject(spec)) throw new Error('tokenizer.json: malformed normalizer');
  switch (spec.type) {
    case 'BertNormalizer': {
      const lower = spec.lowercase !== false;
      const strip = spec.strip_accents === null || spec.strip_accents === undefined ? lower : spec.strip_accents === true;
      const clean = spec.clean_text !== false;
      const chinese = spec.handle_chinese_chars !== false;
      return (t) => {
        if (clean) t = t.replace(CONTROL, '').replace(WHITESPACE, ' ');
        if (chinese) t = t.replace(CJK, ' $1 ');
        if (strip) t = stripAccents(t);
        return lower ? t.toLowerCase() : t;
      };
    }
    case 'Lowercase':
      return (t) => t.toLowerCase();
    case 'StripAccents':
      return stripAccents;
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD': {
      const form = spec.type;
      return (t) => t.normalize(form);
    }
    case 'Strip':
      return (t) => t.trim();
    case 'Sequence': {
      const parts = (Array.isArray(spec.normalizers) ? spec.normalizers : []).map(normalizer);
      return (t) => parts.reduce((acc, f) => f(acc), t);
    }
    default:
      throw new Error(`tokenizer.json: unsupported normalizer ${String(spec.type)}`);
  }
}

const BERT_SPLIT = /[\p{P}\p{S}]|[^\s\p{P}\p{S}]+/gu;
const WORD_SPLIT = /\w+|[^\w\s]+/gu;

function preTokenizer(spec: unknown): PreTokenizer {
  if (spec === null || spec === undefined) return (t) => t.split(/\s+/u).filter(Boolean);
  if (!isObject(spec)) throw new Error('tokenizer.json: malformed pre_tokenizer');
  switch (spec.type) {
    case 'BertPreTokenizer':
      // Splits on white space and isolates every punctuation or symbol character, as BERT does.
      return (t) => t.match(BERT_SPLIT) ?? [];
    case 'Whitespace':
      return (t) => t.match(WORD_SPLIT) ?? [];
    case 'WhitespaceSplit':
      return (t) => t.split(/\s+/u).filter(Boolean);
    case 'Sequence': {
      const parts = (Array.isArray(spec.pretokenizers) ? spec.pretokenizers : []).map(preTokenizer);
      return (t) => parts.reduce<string[]>((words, f) => words.flatMap(f), [t]);
    }
    default:
      throw new Error(`tokenizer.json: unsupported pre_tokenizer ${String(spec.type)}`);
  }
}

export class WordPieceTokenizer {
  private readonly vocab: Map<string, number>;
  private readonly unkId: number;
  private readonly kind: 'WordPiece' | 'WordLevel';
  private readonly prefix: string;
  private readonly maxWordChars: number;
  private readonly normalize: Normalizer;
  private readonly preTokenize: PreTokenizer;
  readonly special: SpecialTokens;
  readonly padId: number;
  /** `truncation.max_length` of the file, if any */
  readonly maxLength: number | undefined;

  constructor(json: unknown) {
    if (!isObject(json) || !isObject(json.model)) throw new Error('tokenizer.json: no model section');
    const model = json.model;
    if (model.type !== 'WordPiece' && model.type !== 'WordLevel') {
      throw new Error(`tokenizer.json: unsupported model ${String(model.type)} (WordPiece and WordLevel are supported)`);
    }
    this.kind = model.type;
    if (!isObject(model.vocab)) throw new Error('tokenizer.json: the model has no vocab');
    this.vocab = new Map(Object.entries(model.vocab).filter((e): e is [string, number] => typeof e[1] === 'number'));
    const unk = typeof model.unk_token === 'string' ? model.unk_token : '[UNK]';
    const unkId = this.vocab.get(unk);
    if (unkId === undefined) throw new Error(`tokenizer.json: unknown-token ${unk} is not in the vocab`);
    this.unkId = unkId;
    this.prefix = typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##';
    this.maxWordChars = typeof model.max_input_chars_per_word === 'number' ? model.max_input_chars_per_word : 100;
    this.normalize = normalizer(json.normalizer);
    this.preTokenize = preTokenizer(json.pre_tokenizer);
    this.special = this.postProcessor(json.post_processor);
    const padding = isObject(json.padding) ? json.padding : null;
    this.padId = typeof padding?.pad_id === 'number' ? padding.pad_id : (this.vocab.get('[PAD]') ?? this.vocab.get('<pad>') ?? 0);
    const truncation = isObject(json.truncation) ? json.truncation : null;
    this.maxLength = typeof truncation?.max_length === 'number' ? truncation.max_length : undefined;
  }

  /** Token ids of `text`, without special tokens and without truncation. */
  encode(text: string): Encoding {
    const ids: number[] = [];
    for (const word of this.preTokenize(this.normalize(text))) {
      if (this.kind === 'WordLevel') ids.push(this.vocab.get(word) ?? this.unkId);
      else this.wordPiece(word, ids);
    }
    return { ids };
  }

  /** Greedy longest-match-first, as BERT's WordPiece: a word with an unknown piece becomes one unknown token. */
  private wordPiece(word: string, out: number[]): void {
    const chars = [...word];
    if (chars.length > this.maxWordChars) {
      out.push(this.unkId);
      return;
    }
    const pieces: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const piece = (start > 0 ? this.prefix : '') + chars.slice(start, end).join('');
        found = this.vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        out.push(this.unkId);
        return;
      }
      pieces.push(found);
      start = end;
    }
    out.push(...pieces);
  }

  private idOf(token: unknown, explicit?: unknown): number {
    if (typeof explicit === 'number') return explicit;
    const id = typeof token === 'string' ? this.vocab.get(token) : undefined;
    if (id === undefined) throw new Error(`tokenizer.json: special token ${String(token)} is not in the vocab`);
    return id;
  }

  private postProcessor(spec: unknown): SpecialTokens {
    if (spec === null || spec === undefined) return { prefix: [], suffix: [] };
    if (!isObject(spec)) throw new Error('tokenizer.json: malformed post_processor');
    if (spec.type === 'BertProcessing' || spec.type === 'RobertaProcessing') {
      const cls = spec.cls as [string, number] | undefined;
      const sep = spec.sep as [string, number] | undefined;
      return { prefix: cls ? [this.idOf(cls[0], cls[1])] : [], suffix: sep ? [this.idOf(sep[0], sep[1])] : [] };
    }
    if (spec.type === 'TemplateProcessing') {
      const single = Array.isArray(spec.single) ? spec.single : [];
      const specials = isObject(spec.special_tokens) ? spec.special_tokens : {};
      const out: SpecialTokens = { prefix: [], suffix: [] };
      let seen = false;
      for (const part of single) {
        if (!isObject(part)) continue;
        if (isObject(part.Sequence)) {
          seen = true;
          continue;
        }
        const tok = isObject(part.SpecialToken) ? part.SpecialToken.id : undefined;
        const entry = typeof tok === 'string' && isObject(specials[tok]) ? (specials[tok] as Json) : null;
        const ids = Array.isArray(entry?.ids) ? (entry!.ids as unknown[]).filter((x): x is number => typeof x === 'number') : [this.idOf(tok)];
        (seen ? out.suffix : out.prefix).push(...ids);
      }
      return out;
    }
    throw new Error(`tokenizer.json: unsupported post_processor ${String(spec.type)}`);
  }
}
