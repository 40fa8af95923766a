/**
 * The classifier service the composition root offers to checks
 * (`services.classifiers`): resolves a check's back-end choice to one
 * back-end instance (cached per choice object, which the policy compiler
 * parses once), chunks long texts, scores each distinct chunk once, and
 * merges chunk results per text (largest score per label, union of flags).
 *
 * Named judges and ONNX models come from the `classifiers` section of the
 * configuration; `prepare` resolves every choice the policies make and loads
 * every model at start, so a missing model or an unknown name stops the start
 * instead of failing live traffic.
 */
import { isAbsolute, resolve } from 'node:path';
import type { CheckContext, ClassifiedItem, ClassifierBackends, ClassifyRequest, ClassifyResult } from '../../pipeline/types.js';
import type { BackendChoice, ClassifierKind, ClassifiersConfig, JudgeEndpoint, OnnxModel } from '../../shared/classifier-backend-config.js';
import { textChunks } from '../../shared/text-chunks.js';
import { CascadeBackend } from './cascade.js';
import { inlinePatch, readInlineModeration } from './inline.js';
import { JudgeBackend } from './judge.js';
import { LocalBackend } from './local.js';
import { OnnxBackend } from './onnx.js';
import { ProviderBackend } from './provider.js';
import type { Backend } from './types.js';

/** Check ids that choose a classifier back-end, and the kind each scores. */
export const CLASSIFIER_CHECKS: Readonly<Record<string, ClassifierKind>> = {
  injection: 'injection',
  moderation: 'moderation',
  'harmful-request': 'harmful_request',
};

export interface HubOptions {
  config?: Partial<ClassifiersConfig>;
  /** folder that relative paths (ONNX folders, modelsDir) are resolved from; default the working directory */
  baseDir?: string;
  /** replaces the shipped-model back-end (tests) */
  local?: LocalBackend;
}

/** A choice a policy makes, with where it was made (for start-up messages). */
export interface ChoiceUse {
  where: string;
  kind: ClassifierKind;
  choice: BackendChoice;
}

const EMPTY: ClassifiedItem = Object.freeze({ scores: {}, flagged: [], by: 'inline' }) as ClassifiedItem;

/** Largest score per label, union of flags; `by` lists each deciding back-end once. */
export function mergeItems(items: readonly ClassifiedItem[]): ClassifiedItem {
  if (items.length === 1) return items[0]!;
  const scores: Record<string, number> = {};
  const flagged = new Set<string>();
  const by = new Set<string>();
  for (const it of items) {
    for (const [k, v] of Object.entries(it.scores)) if (!(k in scores) || v > scores[k]!) scores[k] = v;
    for (const f of it.flagged) flagged.add(f);
    by.add(it.by);
  }
  return { scores, flagged: [...flagged], by: [...by].join('+') };
}

function assemble(backend: Backend, scored: ClassifiedItem[], expected: number, owners: number[][], extra: ClassifiedItem[]): ClassifyResult {
  if (scored.length !== expected) throw new Error(`the ${backend.id} back-end returned ${scored.length} results for ${expected} texts`);
  return { items: owners.map((o) => mergeItems(o.map((j) => scored[j]!))), extra };
}

export class ClassifierHub implements ClassifierBackends {
  readonly local: LocalBackend;
  private readonly baseDir: string;
  private readonly judges: Record<string, JudgeEndpoint>;
  private readonly onnxModels: Record<string, OnnxModel>;
  private readonly perChoice = new WeakMap<BackendChoice, Backend>();
  private readonly fallbacks = new WeakMap<BackendChoice, BackendChoice>();
  /** shared by identical settings, so input and output stages share one cache */
  private readonly shared = new Map<string, Backend>();

  constructor(options: HubOptions = {}) {
    this.baseDir = options.baseDir ?? process.cwd();
    const dir = options.config?.modelsDir;
    this.local = options.local ?? new LocalBackend(dir === undefined ? undefined : isAbsolute(dir) ? dir : resolve(this.baseDir, dir));
    this.judges = options.config?.judges ?? {};
    this.onnxModels = options.config?.onnx ?? {};
  }

  /** The back-end for a choice. Throws when a named judge or ONNX model is not configured. */
  backend(choice: BackendChoice, kind: ClassifierKind): Backend {
    let b = this.perChoice.get(choice);
    if (b) return b;
    switch (choice.backend) {
      case 'local':
        b = this.local;
        break;
      case 'provider':
      case 'inline':
        b = this.sharedBy(`provider:${JSON.stringify(choice.provider)}`, () => new ProviderBackend(choice.provider));
        break;
      case 'judge':
        b = this.judge(choice);
        break;
      case 'cascade':
        b = new CascadeBackend(this.local, this.judge(choice), choice.cascade);
        break;
      case 'onnx':
        b = this.onnx(choice);
        break;
    }
    if (kind !== 'moderation' && (choice.backend === 'provider' || choice.backend === 'inline')) {
      throw new Error(`the ${choice.backend} back-end scores moderation only`);
    }
    this.perChoice.set(choice, b);
    return b;
  }

  private sharedBy(key: string, make: () => Backend): Backend {
    let b = this.shared.get(key);
    if (!b) {
      b = make();
      this.shared.set(key, b);
    }
    return b;
  }

  private judge(choice: BackendChoice): Backend {
    const j = choice.judge;
    if (j === undefined) throw new Error(`backend "${choice.backend}" needs a judge`);
    if (typeof j === 'string') {
      const spec = this.judges[j];
      if (!spec) throw new Error(`no judge named "${j}" under classifiers.judges`);
      return this.sharedBy(`judge:${j}`, () => new JudgeBackend(spec));
    }
    return this.sharedBy(`judge:${JSON.stringify(j)}`, () => new JudgeBackend(j));
  }

  private onnx(choice: BackendChoice): OnnxBackend {
    const o = choice.onnx;
    if (o === undefined) throw new Error('backend "onnx" needs a model');
    const spec = typeof o === 'string' ? this.onnxModels[o] : o;
    if (!spec) throw new Error(`no ONNX model named "${String(o)}" under classifiers.onnx`);
    return this.sharedBy(`onnx:${JSON.stringify(spec)}`, () => new OnnxBackend(spec, this.baseDir)) as OnnxBackend;
  }

  async classify(request: ClassifyRequest, ctx: CheckContext): Promise<ClassifyResult> {
    const { kind, choice } = request;
    if (choice.backend === 'inline') return this.inline(request, ctx);
    const backend = this.backend(choice, kind);
    const { unique, owners } = this.chunk(request, backend);
    const texts$ = unique.size > 0 ? backend.score(kind, [...unique.keys()], ctx) : [];
    const images$ = request.images && request.images.length > 0 && backend.scoreImages ? backend.scoreImages(request.images, ctx) : [];
    const [scored, extra] = await Promise.all([texts$, images$]);
    return assemble(backend, scored, unique.size, owners, extra);
  }

  classifySync(request: ClassifyRequest, ctx: CheckContext): ClassifyResult | undefined {
    const { kind, choice } = request;
    if (choice.backend !== 'local' || (request.images && request.images.length > 0)) return undefined;
    const backend = this.backend(choice, kind);
    const { unique, owners } = this.chunk(request, backend);
    const scored = unique.size > 0 ? this.local.score(kind, [...unique.keys()]) : [];
    return assemble(backend, scored, unique.size, owners, []);
  }

  /** Distinct chunks of the request's texts, and which chunks make up each text. */
  private chunk(request: ClassifyRequest, backend: Backend): { unique: Map<string, number>; owners: number[][] } {
    const size = Math.min(request.choice.chunkChars, backend.maxChars ?? Number.POSITIVE_INFINITY);
    const overlap = Math.min(512, size >> 3);
    const unique = new Map<string, number>();
    const owners: number[][] = [];
    for (const text of request.texts) {
      const chunks = text.length <= size ? [text] : textChunks(text, size, overlap);
      owners.push(
        chunks.map((c) => {
          let j = unique.get(c);
          if (j === undefined) {
            j = unique.size;
            unique.set(c, j);
          }
          return j;
        }),
      );
    }
    return { unique, owners };
  }

  private async inline(request: ClassifyRequest, ctx: CheckContext): Promise<ClassifyResult> {
    if (ctx.stage === 'input') {
      return { items: request.texts.map(() => EMPTY), extra: [], requestPatch: inlinePatch(request.choice.provider.model) };
    }
    // The proxy hands the upstream answer to output checks as `response` where it supports inline moderation.
    const response = (ctx as CheckContext & { response?: unknown }).response;
    const inline = response === undefined ? null : readInlineModeration(response);
    if (inline) return { items: request.texts.map(() => EMPTY), extra: [...inline.input, ...inline.output] };
    // No inline results (an upstream that ignores the field, or an error entry): one Moderation API call instead.
    let fallback = this.fallbacks.get(request.choice);
    if (!fallback) {
      fallback = { ...request.choice, backend: 'provider' };
      this.fallbacks.set(request.choice, fallback);
    }
    return this.classify({ ...request, choice: fallback }, ctx);
  }

  /**
   * Resolves every choice and loads every model it needs. Returns problems as
   * `where: message` lines (empty when all is well). `provider: false` says
   * no upstream is configured, so provider and inline choices cannot work.
   */
  async prepare(uses: readonly ChoiceUse[], options: { provider?: boolean } = {}): Promise<string[]> {
    const issues: string[] = [];
    for (const { where, kind, choice } of uses) {
      try {
        if ((choice.backend === 'provider' || choice.backend === 'inline') && options.provider === false) {
          throw new Error(`the ${choice.backend} back-end needs an upstream, and none is configured`);
        }
        const b = this.backend(choice, kind);
        if (choice.backend === 'local' || choice.backend === 'cascade') this.local.classifier(kind);
        if (b instanceof OnnxBackend) await b.load();
      } catch (err) {
        issues.push(`${where}: ${(err as Error).message}`);
      }
    }
    return issues;
  }
}

/** The back-end choices of every classifier check in compiled policies. */
export function choicesOf(policies: { names(): string[]; get(name: string): { input: readonly ActiveLike[]; output: readonly ActiveLike[] } }): ChoiceUse[] {
  const out: ChoiceUse[] = [];
  for (const name of policies.names()) {
    const p = policies.get(name);
    for (const stage of ['input', 'output'] as const) {
      for (const c of p[stage]) {
        const kind = CLASSIFIER_CHECKS[c.definition.id];
        if (kind) out.push({ where: `policies.${name}.${stage}.${c.definition.id}`, kind, choice: c.config as BackendChoice });
      }
    }
  }
  return out;
}

interface ActiveLike {
  definition: { id: string };
  config: unknown;
}
